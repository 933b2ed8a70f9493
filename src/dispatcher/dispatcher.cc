#include "dispatcher/dispatcher.h"

#include <algorithm>
#include <utility>

#include "common/check.h"
#include "common/log.h"
#include "dispatcher/agent_calls.h"
#include "fsm/codec.h"

namespace ckron::dispatcher {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("dispatcher");
}

std::unique_ptr<AgentTransport> MakeTransport(const TransportFactory& factory,
                                              RunObserver* observer) {
  if (factory) return factory(observer);
  return std::make_unique<AgentCalls>(observer);
}

}  // namespace

Dispatcher::Dispatcher(DispatcherOptions options, const replica::ReplicatedState* state,
                       Proposer* proposer, const MemberView* members, const Clock* clock,
                       TransportFactory transport)
    : options_(std::move(options)),
      state_(state),
      proposer_(proposer),
      members_(members),
      clock_(clock),
      live_(options_.live_output_bytes),
      calls_(MakeTransport(transport, this)),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {}

Dispatcher::~Dispatcher() {
  Stop();
}

// --- Lifecycle --------------------------------------------------------------

void Dispatcher::Start(Term term) {
  std::lock_guard lock(mu_);
  CKRON_CHECK_MSG(!running_, "Dispatcher::Start while running");
  running_ = true;
  stop_ = false;
  term_ = term;
  inbox_.clear();
  rescan_ = true;  // the loop's first act: everything the state holds
  if (options_.threaded) {
    thread_ = std::thread([this] { RunDispatchLoop(); });
  } else {
    Log()->info("dispatcher: dispatching for term {} (stepped)", term.value());
  }
}

void Dispatcher::Stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stop_ = true;
    t = std::move(thread_);
  }
  wake_.notify_all();
  if (t.joinable()) {
    t.join();
  } else {
    ResetLoopState();  // stepped: the caller's thread is the loop
  }
  // The loop is gone: nothing opens streams any more. Close the open ones
  // (their executions go on; results come through Executions.Report) and
  // wait for every callback, so none runs after Stop.
  calls_->CancelAllAndWait();
  live_.Clear();
  std::lock_guard lock(mu_);
  inbox_.clear();
  batches_.clear();  // their callbacks only touch the shared batches
  running_ = false;
}

bool Dispatcher::Post(Message m) {
  {
    std::lock_guard lock(mu_);
    if (!running_ || stop_) return false;
    inbox_.push_back(std::move(m));
  }
  wake_.notify_all();
  return true;
}

void Dispatcher::OnEvents(const std::vector<fsm::Event>& events) {
  std::size_t posted = 0;
  {
    std::lock_guard lock(mu_);
    if (!running_ || stop_) return;
    for (const fsm::Event& e : events) {
      if (rescan_) break;
      if (inbox_.size() >= options_.max_queued_events) {
        inbox_.clear();
        rescan_ = true;
        Log()->warn("dispatcher: event queue full ({} events); rescanning the state",
                    options_.max_queued_events);
        break;
      }
      if (auto* p = std::get_if<fsm::RunPending>(&e)) {
        inbox_.emplace_back(*p);
      } else if (auto* f = std::get_if<fsm::FirePending>(&e)) {
        inbox_.emplace_back(*f);
      } else if (auto* s = std::get_if<fsm::ExecutionStartedEvent>(&e)) {
        inbox_.emplace_back(*s);
      } else {
        continue;
      }
      ++posted;
    }
  }
  if (posted > 0) wake_.notify_all();
}

void Dispatcher::OnRestored() {
  {
    std::lock_guard lock(mu_);
    if (!running_ || stop_) return;
    inbox_.clear();
    rescan_ = true;
  }
  wake_.notify_all();
}

std::optional<std::string> Dispatcher::LiveOutputOf(const std::string& job_name,
                                                    const std::string& execution_id) const {
  return live_.Get(job_name, execution_id);
}

DispatcherStats Dispatcher::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

// --- Stream callbacks (gRPC threads) -----------------------------------------

void Dispatcher::OnRunStarted(const fsm::RunKey& key, absl::Time started_at, bool duplicate) {
  if (duplicate) {
    Log()->debug("dispatcher: {} already runs execution {} of job {}", key.node_name,
                 fsm::RunExecutionId(key.group, key.attempt, key.node_name), key.job_name);
  }
  Post(StreamStarted{key, started_at});
}

void Dispatcher::OnRunOutput(const fsm::RunKey& key, std::string_view chunk) {
  live_.Append(key.job_name, fsm::RunExecutionId(key.group, key.attempt, key.node_name), chunk);
}

void Dispatcher::OnRunFinished(const fsm::RunKey& key, fsm::Execution execution) {
  Post(StreamFinished{key, std::move(execution)});
}

void Dispatcher::OnRunClosed(const fsm::RunKey& key, std::uint64_t stream, Status status) {
  live_.Close(key.job_name, fsm::RunExecutionId(key.group, key.attempt, key.node_name));
  Post(StreamClosed{key, stream, std::move(status)});
}

// --- The dispatch loop ------------------------------------------------------

void Dispatcher::RunDispatchLoop() {
  Log()->info("dispatcher: dispatching for term {}", term_.value());
  std::unique_lock lock(mu_);
  for (;;) {
    const absl::Time now = clock_->Now();
    absl::Duration sleep = options_.max_sleep;
    if (!timers_.empty()) sleep = std::clamp(timers_.top().at - now, absl::ZeroDuration(), sleep);
    if (inbox_.empty() && !rescan_ && !stop_ && sleep > absl::ZeroDuration()) {
      wake_.wait_for(lock, absl::ToChronoNanoseconds(sleep));
    }
    if (stop_) break;
    lock.unlock();
    Turn();
    lock.lock();
  }
  lock.unlock();
  ResetLoopState();
}

void Dispatcher::Step() {
  CKRON_CHECK_MSG(!options_.threaded, "Dispatcher::Step on a threaded dispatcher");
  {
    std::lock_guard lock(mu_);
    if (!running_ || stop_) return;
  }
  Turn();
}

std::optional<absl::Time> Dispatcher::NextTimer() const {
  CKRON_CHECK_MSG(!options_.threaded, "Dispatcher::NextTimer on a threaded dispatcher");
  if (timers_.empty()) return std::nullopt;
  return timers_.top().at;
}

void Dispatcher::Turn() {
  bool rescan;
  std::vector<Message> batch;
  {
    std::lock_guard lock(mu_);
    rescan = std::exchange(rescan_, false);
    batch.swap(inbox_);
  }
  addrs_.reset();  // members are re-read at most once per turn
  DrainSettledChildFires();
  if (rescan) ScanState();
  for (Message& m : batch) Handle(m);
  const absl::Time t = clock_->Now();
  std::vector<Timer> due;
  while (!timers_.empty() && timers_.top().at <= t) {
    due.push_back(timers_.top());
    timers_.pop();
  }
  ReadRuns(due);  // one read of the state for every run they concern
  for (const Timer& timer : due) FireTimer(timer);
  run_views_.clear();
  const std::size_t fired = due.size();
  calls_->Flush();                   // the runs this turn queued, a few messages per agent
  if (batch.size() + fired >= 16) {  // a burst: how long one turn takes
    Log()->debug("dispatcher: turn of {} message(s) and {} timer(s) took {}", batch.size(), fired,
                 absl::FormatDuration(clock_->Now() - t));
  }
}

void Dispatcher::ResetLoopState() {
  timers_ = {};
  dispatches_.clear();
  child_fires_.clear();
  addrs_.reset();
  Log()->info("dispatcher: stopped dispatching for term {}", term_.value());
}

void Dispatcher::DrainSettledChildFires() {
  std::vector<std::pair<std::string, std::int64_t>> keys;
  std::uint64_t recorded;
  {
    std::lock_guard lock(settled_->mu);
    keys.swap(settled_->keys);
    recorded = std::exchange(settled_->recorded, 0);
  }
  for (const auto& k : keys) child_fires_.erase(k);
  if (recorded > 0) {
    std::lock_guard lock(mu_);
    stats_.fires_recorded += recorded;
  }
}

void Dispatcher::ScanState() {
  std::vector<std::pair<fsm::RunKey, absl::Time>> pending;
  std::vector<std::pair<std::pair<std::string, std::string>, absl::Time>> leases;
  std::vector<fsm::FirePending> fires;
  state_->Read([&](const fsm::State& s) {
    for (const auto& [key, run] : s.pending_runs()) pending.emplace_back(key, run.due);
    for (const auto& [key, run] : s.running()) leases.emplace_back(key, run.lease_until);
    for (const auto& [key, scheduled] : s.pending_fires()) {
      fires.push_back(fsm::FirePending{key.first, key.second, scheduled});
    }
  });
  for (auto& [key, due] : pending) {
    PushTimer({due, TimerKind::kDispatch, std::move(key), {}});
  }
  for (auto& [key, until] : leases) PushTimer({until, TimerKind::kLease, {}, std::move(key)});
  for (const fsm::FirePending& f : fires) FireChild(f);
  Log()->info("dispatcher: {} pending run(s), {} running execution(s), {} dependent fire(s)",
              pending.size(), leases.size(), fires.size());
}

void Dispatcher::Handle(Message& m) {
  std::visit(
      [&](auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, fsm::RunPending>) {
          PushTimer({msg.due - options_.arm_ahead,  // TryDispatch arms it ahead
                     TimerKind::kDispatch,
                     fsm::RunKey{msg.job_name, msg.group, msg.node_name, msg.attempt},
                     {}});
        } else if constexpr (std::is_same_v<T, fsm::FirePending>) {
          FireChild(msg);
        } else if constexpr (std::is_same_v<T, fsm::ExecutionStartedEvent>) {
          const auto key = std::make_pair(msg.job_name, msg.id);
          auto until = state_->Read([&](const fsm::State& s) -> std::optional<absl::Time> {
            auto it = s.running().find(key);
            if (it == s.running().end()) return std::nullopt;
            return it->second.lease_until;
          });
          if (until) PushTimer({*until, TimerKind::kLease, {}, key});
        } else if constexpr (std::is_same_v<T, Rescan>) {
          ScanState();
        } else if constexpr (std::is_same_v<T, StreamStarted>) {
          auto it = dispatches_.find(msg.key);
          if (it == dispatches_.end() || it->second.started || it->second.settled) return;
          it->second.started = true;
          it->second.started_at = msg.started_at;
          if (!Leads()) return;
          if (options_.start_record_delay > absl::ZeroDuration() && !it->second.record_at_once) {
            // Recorded later, unless its result is committed first.
            PushTimer(
                {clock_->Now() + options_.start_record_delay, TimerKind::kConfirm, msg.key, {}});
            return;
          }
          it->second.recorded = true;
          ProposeStarted(msg.key, msg.started_at);
          PushTimer({clock_->Now() + options_.recheck_interval, TimerKind::kConfirm, msg.key, {}});
        } else if constexpr (std::is_same_v<T, StreamFinished>) {
          auto it = dispatches_.find(msg.key);
          if (it == dispatches_.end() || it->second.started || it->second.settled) return;
          // A failed start (unknown executor, agent shutting down): the
          // agent's own result, under the run's identity.
          it->second.settled = true;
          if (!Leads()) return;
          fsm::Execution e = std::move(msg.execution);
          e.job_name = msg.key.job_name;
          e.id = fsm::RunExecutionId(msg.key.group, msg.key.attempt, msg.key.node_name);
          e.node_name = msg.key.node_name;
          e.group = msg.key.group;
          e.attempt = msg.key.attempt;
          if (!e.finished_at) e.finished_at = clock_->Now();
          ProposeAndLog(fsm::ExecutionFinished{e}, "failed start of execution " + e.id);
        } else if constexpr (std::is_same_v<T, StreamClosed>) {
          auto it = dispatches_.find(msg.key);
          if (it == dispatches_.end() || it->second.stream != msg.stream) return;
          it->second.stream = 0;
          if (it->second.started || it->second.settled) {
            // The result comes through Executions.Report. A start not yet
            // recorded is kept for its record timer (ConfirmStarted).
            if (it->second.settled || it->second.recorded) dispatches_.erase(it);
            return;
          }
          std::string reason = msg.status.ok() ? "the stream ended before the execution started"
                                               : msg.status.message();
          if (it->second.timed_out) {
            reason = "no answer within " + absl::FormatDuration(options_.dispatch_timeout);
          }
          AttemptFailed(msg.key, reason);
        }
      },
      m);
}

void Dispatcher::FireTimer(const Timer& t) {
  switch (t.kind) {
    case TimerKind::kDispatch:
      TryDispatch(t.run);
      break;
    case TimerKind::kStartDeadline: {
      auto it = dispatches_.find(t.run);
      if (it == dispatches_.end() || it->second.started || it->second.settled) return;
      if (it->second.stream != 0) {
        // StreamClosed follows with kCancelled; the deadline has passed, so
        // it fails the run instead of retrying.
        it->second.timed_out = true;
        calls_->CancelStream(it->second.stream);
      } else {
        FailRun(t.run, it->second.last_error.empty() ? "timed out" : it->second.last_error);
      }
      break;
    }
    case TimerKind::kConfirm:
      ConfirmStarted(t.run);
      break;
    case TimerKind::kLease:
      CheckLease(t.running);
      break;
  }
}

// --- Runs -------------------------------------------------------------------

std::optional<std::string> Dispatcher::RpcAddrOf(const std::string& node) {
  if (!addrs_) {
    addrs_.emplace();
    for (const Candidate& c : AliveMembers()) {
      auto tag = c.tags.find(kRpcAddrTag);
      if (tag != c.tags.end() && !tag->second.empty()) (*addrs_)[c.name] = tag->second;
    }
  }
  auto it = addrs_->find(node);
  if (it == addrs_->end()) return std::nullopt;
  return it->second;
}

Dispatcher::RunView Dispatcher::ViewRun(const fsm::State& s, const fsm::RunKey& key) {
  RunView v;
  auto p = s.pending_runs().find(key);
  if (p == s.pending_runs().end()) return v;
  v.run = p->second;
  v.job = s.ShareJob(key.job_name);
  if (v.job && v.job->concurrency == "replace") {
    for (auto r = s.running().lower_bound({key.job_name, ""});
         r != s.running().end() && r->first.first == key.job_name; ++r) {
      if (r->second.group != key.group) {
        v.replacing = true;
        break;
      }
    }
  }
  return v;
}

void Dispatcher::ReadRuns(const std::vector<Timer>& due) {
  std::size_t runs = 0;
  for (const Timer& t : due)
    runs += t.kind == TimerKind::kDispatch || t.kind == TimerKind::kConfirm;
  if (runs == 0) return;
  state_->Read([&](const fsm::State& s) {
    for (const Timer& t : due) {
      if (t.kind != TimerKind::kDispatch && t.kind != TimerKind::kConfirm) continue;
      auto [it, inserted] = run_views_.try_emplace(t.run);
      if (inserted) it->second = ViewRun(s, t.run);
    }
  });
}

Dispatcher::RunView Dispatcher::ViewOf(const fsm::RunKey& key) {
  if (auto it = run_views_.find(key); it != run_views_.end()) return it->second;
  return state_->Read([&](const fsm::State& s) { return ViewRun(s, key); });
}

void Dispatcher::TryDispatch(const fsm::RunKey& key) {
  if (!Leads()) return;
  auto it = dispatches_.find(key);
  if (it != dispatches_.end() && (it->second.stream != 0 || it->second.started)) return;
  // The run must still be pending (not started, finished or deleted since).
  const RunView view = ViewOf(key);
  const std::optional<fsm::PendingRun>& run = view.run;
  const std::shared_ptr<const fsm::Job>& job = view.job;
  const bool replacing = view.replacing;
  if (!run || !job) {
    if (it != dispatches_.end()) dispatches_.erase(it);
    return;
  }
  const absl::Time now = clock_->Now();
  if (run->due > now + options_.arm_ahead) {
    PushTimer({run->due - options_.arm_ahead, TimerKind::kDispatch, key, {}});
    return;
  }
  // semantics §4.4: `replace` starts the new run after the cancelled one
  // ended, so that two never run at once (bounded by replace_wait).
  if (replacing && it == dispatches_.end() && now < run->created + options_.replace_wait) {
    PushTimer({now + options_.replace_poll, TimerKind::kDispatch, key, {}});
    return;
  }
  if (it == dispatches_.end()) {
    it = dispatches_.emplace(key, Dispatch{}).first;
    it->second.deadline = now + options_.dispatch_timeout;
    it->second.record_at_once = job->concurrency == "replace";
    PushTimer({it->second.deadline, TimerKind::kStartDeadline, key, {}});
  }
  Dispatch& d = it->second;
  ++d.attempts;
  const std::optional<std::string> addr = RpcAddrOf(key.node_name);
  if (!addr) {
    AttemptFailed(key, "node " + key.node_name + " is not alive");
    return;
  }
  ckron::v1::RunRequest request;
  fsm::EncodeJobTo(*job, request.mutable_job());
  request.set_execution_id(fsm::RunExecutionId(key.group, key.attempt, key.node_name));
  request.set_group(key.group);
  request.set_attempt(key.attempt);
  request.set_term(term_.value());
  if (run->due > now) request.set_start_at_ns(absl::ToUnixNanos(run->due));
  // Open before the stream so no early chunk is missed; closed with it.
  live_.Open(key.job_name, request.execution_id());
  d.stream = calls_->Run(*addr, request, key);
  std::lock_guard lock(mu_);
  ++stats_.runs_dispatched;
}

void Dispatcher::AttemptFailed(const fsm::RunKey& key, const std::string& reason) {
  auto it = dispatches_.find(key);
  if (it == dispatches_.end()) return;
  Dispatch& d = it->second;
  d.last_error = reason;
  const absl::Time next = clock_->Now() + options_.dispatch_retry_interval;
  if (d.attempts < options_.dispatch_attempts && next < d.deadline) {
    Log()->info("dispatcher: could not start {} of job {} on {} (attempt {}): {}; retrying",
                fsm::RunExecutionId(key.group, key.attempt, key.node_name), key.job_name,
                key.node_name, d.attempts, reason);
    PushTimer({next, TimerKind::kDispatch, key, {}});
    return;
  }
  FailRun(key, reason);
}

// semantics §4.3: the run never started; commit it as a failed execution,
// and the state machine schedules the job's retry.
void Dispatcher::FailRun(const fsm::RunKey& key, const std::string& reason) {
  dispatches_.erase(key);
  if (!Leads()) return;
  const absl::Time now = clock_->Now();
  fsm::Execution e;
  e.job_name = key.job_name;
  e.id = fsm::RunExecutionId(key.group, key.attempt, key.node_name);
  e.started_at = now;
  e.finished_at = now;
  e.success = false;
  e.output = "ckron: could not start the execution on node " + key.node_name + ": " + reason;
  e.node_name = key.node_name;
  e.group = key.group;
  e.attempt = key.attempt;
  Log()->warn("dispatcher: execution {} of job {} failed to start on {}: {}", e.id, e.job_name,
              key.node_name, reason);
  {
    std::lock_guard lock(mu_);
    ++stats_.runs_failed;
  }
  ProposeAndLog(fsm::ExecutionFinished{e}, "failed start of execution " + e.id);
  // If that proposal does not commit, the run is still pending then.
  PushTimer({now + options_.recheck_interval, TimerKind::kDispatch, key, {}});
}

void Dispatcher::ProposeStarted(const fsm::RunKey& key, absl::Time started_at) {
  fsm::Execution e;
  e.job_name = key.job_name;
  e.id = fsm::RunExecutionId(key.group, key.attempt, key.node_name);
  e.started_at = started_at;
  e.node_name = key.node_name;
  e.group = key.group;
  e.attempt = key.attempt;
  ProposeAndLog(fsm::ExecutionStarted{e, clock_->Now() + options_.lease},
                "execution " + e.id + " of job " + e.job_name + " started");
}

// The agent said `started` and the run is still pending in the state:
// record the start now (its record was deferred by start_record_delay and
// its result has not been committed since), or record it again (the
// proposal failed while this server kept leading, e.g. Raft's queue was
// full), or dispatch it again when its stream is gone: the agent answers a
// duplicate (same id), a dead one fails the start. Without this a run
// whose node died would stay pending without a lease, and nothing would
// ever finish it (a `forbid` job stuck for good; found by tests/sim).
void Dispatcher::ConfirmStarted(const fsm::RunKey& key) {
  const bool pending = ViewOf(key).run.has_value();
  auto it = dispatches_.find(key);
  if (!pending) {  // started and recorded, or finished
    if (it != dispatches_.end() && it->second.stream == 0) dispatches_.erase(it);
    return;
  }
  if (!Leads()) return;
  if (it == dispatches_.end()) {
    TryDispatch(key);  // its `started` arms the next check
    return;
  }
  if (!it->second.started) return;  // an attempt has its own deadline
  if (it->second.recorded && it->second.stream == 0) {
    dispatches_.erase(it);  // recorded, but the record has not committed
    TryDispatch(key);
    return;
  }
  it->second.recorded = true;
  ProposeStarted(key, it->second.started_at);
  PushTimer({clock_->Now() + options_.recheck_interval, TimerKind::kConfirm, key, {}});
}

// --- Leases -----------------------------------------------------------------

void Dispatcher::CheckLease(const std::pair<std::string, std::string>& key) {
  auto r = state_->Read([&](const fsm::State& s) -> std::optional<fsm::RunningExecution> {
    auto it = s.running().find(key);
    if (it == s.running().end()) return std::nullopt;
    return it->second;
  });
  if (!r) return;  // finished
  const absl::Time now = clock_->Now();
  if (r->lease_until > now) {  // renewed
    PushTimer({r->lease_until, TimerKind::kLease, {}, key});
    return;
  }
  if (!Leads()) return;
  fsm::Execution e;
  e.job_name = key.first;
  e.id = key.second;
  e.started_at = r->started_at;
  e.finished_at = now;
  e.success = false;
  e.output = "execution lost: node " + r->node_name + " stopped renewing its lease";
  e.node_name = r->node_name;
  e.group = r->group;
  e.attempt = r->attempt;
  Log()->warn("dispatcher: execution {} of job {} on {}: lease expired at {}; marking it failed",
              e.id, e.job_name, e.node_name, absl::FormatTime(r->lease_until));
  {
    std::lock_guard lock(mu_);
    ++stats_.leases_expired;
  }
  ProposeAndLog(fsm::ExecutionFinished{e}, "lost execution " + e.id);
  PushTimer({now + options_.recheck_interval, TimerKind::kLease, {}, key});
}

void Dispatcher::ProposeAndLog(fsm::Command command, std::string what) {
  proposer_->Propose(clock_->Now(), std::move(command), [what = std::move(what)](const Status& s) {
    if (!s.ok()) Log()->warn("dispatcher: proposing {} failed: {}", what, s.ToString());
  });
}

}  // namespace ckron::dispatcher
