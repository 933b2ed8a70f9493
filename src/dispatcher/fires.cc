// Dispatcher: recording fires -- scheduled (OnFires), manual (RunNow) and
// dependent (FireChild).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <set>
#include <thread>
#include <utility>

#include "common/log.h"
#include "dispatcher/dispatcher.h"

namespace ckron::dispatcher {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("dispatcher");
}

constexpr char kForbid[] = "forbid";
constexpr char kReplace[] = "replace";

// A running execution the `replace` policy cancels.
struct ToCancel {
  std::string node;
  std::string job;
  std::string id;
};

}  // namespace

bool Dispatcher::Busy(const fsm::State& s, const std::string& job_name) {
  if (s.RunningCount(job_name) > 0) return true;
  auto p = s.pending_runs().lower_bound(fsm::RunKey{job_name, INT64_MIN, "", 0});
  return p != s.pending_runs().end() && p->first.job_name == job_name;
}

std::vector<std::string> Dispatcher::Targets(const fsm::Job& job,
                                             const std::vector<Candidate>& alive) {
  std::lock_guard lock(mu_);
  return SelectTargets(job.tags, options_.region, alive, rng_);
}

std::optional<Term> Dispatcher::CurrentTerm() const {
  std::lock_guard lock(mu_);
  if (!running_ || stop_) return std::nullopt;
  return term_;
}

void Dispatcher::OnFires(std::vector<scheduler::FireIntent> fires) {
  const std::optional<Term> term = CurrentTerm();
  if (!term || !proposer_->Leads(*term)) return;
  const std::vector<Candidate> alive = AliveMembers();
  const absl::Time began = clock_->Now();
  if (!fires.empty()) {
    Log()->debug("dispatcher: {} fire(s) due, the first scheduled {} ago", fires.size(),
                 absl::FormatDuration(began - fires.front().scheduled));
  }

  // One read of the state for the whole batch.
  std::vector<fsm::RecordFire> records;
  std::vector<ToCancel> cancels;
  std::uint64_t skipped = 0;
  DispatcherStats by_reason;  // skipped_* and no_targets of this batch
  state_->Read([&](const fsm::State& s) {
    std::set<std::string> fired;  // forbid: at most one fire per job per batch
    for (const scheduler::FireIntent& f : fires) {
      std::shared_ptr<const fsm::Job> job = s.ShareJob(f.job_name);
      if (!job) continue;
      // The scheduler queues only enabled jobs inside their window; the job
      // may have been disabled since, and the pause flag is ours to check.
      if (s.paused()) {  // one line per batch below: a paused cluster fires nothing
        Log()->debug("dispatcher: not firing job {} at {}: the cluster is paused", job->name,
                     absl::FormatTime(f.scheduled));
        ++skipped;
        ++by_reason.skipped_paused;
        continue;
      }
      if (job->disabled) {
        Log()->info("dispatcher: not firing job {} at {}: the job is disabled", job->name,
                    absl::FormatTime(f.scheduled));
        ++skipped;
        ++by_reason.skipped_disabled;
        continue;
      }
      if (job->concurrency == kForbid && (Busy(s, job->name) || fired.contains(job->name))) {
        // Dkron: "job: Skipping execution" (concurrency forbid).
        Log()->info(
            "dispatcher: skipping fire of job {} at {}: concurrency forbid and it is "
            "still running",
            job->name, absl::FormatTime(f.scheduled));
        ++skipped;
        ++by_reason.skipped_forbid;
        continue;
      }
      if (job->concurrency == kReplace) {
        for (auto it = s.running().lower_bound({job->name, ""});
             it != s.running().end() && it->first.first == job->name; ++it) {
          cancels.push_back({it->second.node_name, it->first.first, it->first.second});
        }
      }
      fired.insert(job->name);
      fsm::RecordFire r;
      r.job_name = job->name;
      r.scheduled = f.scheduled;
      r.group = absl::ToUnixNanos(f.scheduled);
      r.targets = Targets(*job, alive);
      by_reason.no_targets += r.targets.empty();
      records.push_back(std::move(r));
    }
  });

  // semantics §4.4 (concurrency=replace): stop the running ones, then fire.
  for (const ToCancel& c : cancels) {
    for (const Candidate& m : alive) {
      auto tag = m.tags.find(kRpcAddrTag);
      if (m.name != c.node || tag == m.tags.end()) continue;
      Log()->info("dispatcher: cancelling execution {} on {} (concurrency replace)", c.id, c.node);
      calls_->CancelExecution(tag->second, c.job, c.id, options_.cancel_timeout);
    }
  }
  if (by_reason.skipped_paused > 0) {
    Log()->info("dispatcher: not firing {} job(s) due from {}: the cluster is paused",
                by_reason.skipped_paused, absl::FormatTime(fires.front().scheduled));
  }
  {
    std::lock_guard lock(mu_);
    stats_.fires_skipped += skipped;
    stats_.skipped_paused += by_reason.skipped_paused;
    stats_.skipped_disabled += by_reason.skipped_disabled;
    stats_.skipped_forbid += by_reason.skipped_forbid;
    stats_.no_targets += by_reason.no_targets;
    stats_.cancels_sent += cancels.size();
  }
  if (records.empty() || !proposer_->Leads(*term)) return;

  // All in flight at once: Raft commits them together. Threaded, wait for
  // the batch so the next one sees these fires (forbid) and the scheduler
  // is paced; stepped, the caller waits through FiresInFlight(). The
  // callbacks touch only the shared batch: one may run inside Propose, or
  // (stepped) after this returns.
  auto batch = std::make_shared<FireBatch>();
  batch->term = *term;
  batch->records = std::move(records);
  for (std::size_t i = 0; i < batch->records.size(); ++i) {
    batch->queues[batch->records[i].job_name].push_back(i);
  }
  ProposeRound(batch);
  if (!options_.threaded) {
    std::lock_guard lock(mu_);
    batches_.push_back(std::move(batch));
    return;
  }
  int rounds = 0;
  for (;;) {
    {
      std::unique_lock lock(batch->mu);
      batch->settled.wait(lock, [&] { return batch->remaining == 0; });
    }
    ++rounds;
    if (!NextRound(batch)) break;
  }
  Log()->debug("dispatcher: {} fire(s) recorded in {} round(s), {}", batch->records.size(), rounds,
               absl::FormatDuration(clock_->Now() - began));
}

namespace {

// Verdicts after which the fire may not be recorded although this server
// may still lead (raft.h: a full queue, a transient condition, an entry
// that failed after it was appended). Anything else is final: recorded,
// refused (kAlreadyExists: recorded before), or leadership lost (the next
// leader's catch-up takes the fire).
bool MayRetry(const Status& s) {
  switch (s.code()) {
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
    case StatusCode::kOutcomeUnknown:
    case StatusCode::kTimeout:
      return true;
    default:
      return false;
  }
}

constexpr int kRecordRetries = 5;

}  // namespace

void Dispatcher::ProposeRound(const std::shared_ptr<FireBatch>& batch) {
  std::vector<std::size_t> heads;
  for (const auto& [job, queue] : batch->queues) heads.push_back(queue.front());
  {
    std::lock_guard lock(batch->mu);
    batch->remaining = heads.size();
  }
  const absl::Time now = clock_->Now();
  for (std::size_t i : heads) {
    proposer_->Propose(now, batch->records[i], [batch, i](const Status& s) {
      std::lock_guard lock(batch->mu);
      batch->verdicts.emplace_back(i, s);
      if (--batch->remaining == 0) batch->settled.notify_all();
    });
  }
}

// A fire whose RecordFire fails while this server keeps leading would be
// lost: the scheduler has moved past it and no catch-up runs until the next
// leader (found by tests/sim). A repeat of one that did apply is refused
// (kAlreadyExists), so proposing again is safe.
bool Dispatcher::NextRound(const std::shared_ptr<FireBatch>& batch) {
  std::vector<std::pair<std::size_t, Status>> verdicts;
  {
    std::lock_guard lock(batch->mu);
    verdicts.swap(batch->verdicts);
  }
  const bool leads = proposer_->Leads(batch->term);
  std::uint64_t recorded = 0;
  batch->backoff = false;
  for (const auto& [i, s] : verdicts) {
    const fsm::RecordFire& r = batch->records[i];
    std::deque<std::size_t>& queue = batch->queues[r.job_name];
    if (MayRetry(s) && leads && ++batch->retries[i] <= kRecordRetries) {
      batch->backoff = true;  // keep it at the head: propose it again
      continue;
    }
    if (s.ok()) {
      ++recorded;
    } else if (s.code() != StatusCode::kAlreadyExists) {
      Log()->warn("dispatcher: recording the fire of {} at {} failed: {}", r.job_name,
                  absl::FormatTime(r.scheduled), s.ToString());
    }
    queue.pop_front();
    if (queue.empty()) batch->queues.erase(r.job_name);
  }
  if (recorded > 0) {
    std::lock_guard lock(mu_);
    stats_.fires_recorded += recorded;
  }
  if (batch->queues.empty()) return false;
  if (!leads) {  // the next leader catches these up (semantics §3)
    batch->queues.clear();
    return false;
  }
  // Raft's queue was full or its disk hiccuped: give it a moment (the
  // stepped caller's next step is that moment).
  if (batch->backoff && options_.threaded)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ProposeRound(batch);
  return true;
}

bool Dispatcher::FiresInFlight() {
  std::vector<std::shared_ptr<FireBatch>> batches;
  {
    std::lock_guard lock(mu_);
    batches = batches_;
  }
  bool in_flight = false;
  std::vector<std::shared_ptr<FireBatch>> done;
  for (const std::shared_ptr<FireBatch>& b : batches) {
    bool settled;
    {
      std::lock_guard lock(b->mu);
      settled = b->remaining == 0;
    }
    if (!settled || NextRound(b)) {
      in_flight = true;
    } else {
      done.push_back(b);
    }
  }
  std::lock_guard lock(mu_);
  std::erase_if(batches_, [&](const std::shared_ptr<FireBatch>& b) {
    return std::find(done.begin(), done.end(), b) != done.end();
  });
  return in_flight;
}

Status Dispatcher::RunNow(const std::string& job_name, bool force, absl::Time deadline) {
  const std::optional<Term> term = CurrentTerm();
  if (!term || !proposer_->Leads(*term)) {
    return Status::NotLeader("", "this server does not lead the cluster");
  }
  const std::vector<Candidate> alive = AliveMembers();
  std::shared_ptr<const fsm::Job> job;
  bool busy = false;
  state_->Read([&](const fsm::State& s) {
    job = s.ShareJob(job_name);
    busy = job && Busy(s, job_name);
  });
  if (!job) return Status::NotFound("job \"" + job_name + "\" not found");
  if (job->concurrency == kForbid && busy && !force) {
    return Status::FailedPrecondition("job \"" + job_name +
                                      "\" is running and its concurrency is forbid");
  }
  const absl::Time now = clock_->Now();
  fsm::RecordFire r;
  r.job_name = job_name;
  r.scheduled = now;
  r.group = absl::ToUnixNanos(now);
  r.manual = true;
  r.targets = Targets(*job, alive);
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> outcome = done->get_future();
  proposer_->Propose(now, std::move(r), [done](const Status& s) { done->set_value(s); });
  if (outcome.wait_until(absl::ToChronoTime(deadline)) != std::future_status::ready) {
    return Status::Timeout("the manual run of \"" + job_name + "\" was not applied in time");
  }
  Status s = outcome.get();
  if (s.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.fires_recorded;
  }
  return s;
}

// semantics §4.5: a child fires once its parent's group succeeded. It is
// recorded as a manual fire (the child's own schedule is not advanced) under
// the parent's group, so a new leader re-proposing it runs the same ids.
void Dispatcher::FireChild(const fsm::FirePending& fire) {
  const auto key = std::make_pair(fire.job_name, fire.parent_group);
  if (child_fires_.contains(key) || !Leads()) return;
  std::shared_ptr<const fsm::Job> job;
  bool pending = false, busy = false, paused = false;
  state_->Read([&](const fsm::State& s) {
    pending = s.pending_fires().contains(key);
    job = s.ShareJob(fire.job_name);
    busy = job && Busy(s, fire.job_name);
    paused = s.paused();
  });
  if (!pending || !job) return;
  // Dkron runs a child only if it is runnable (dkron-spec §4.1 step 8.5).
  // A child that is not is dropped from the state (SkipFire), so no later
  // leader runs it long after its parent (semantics §4.5).
  if (paused || job->disabled || (job->concurrency == kForbid && busy)) {
    std::string reason = paused ? "the cluster is paused"
                                : (job->disabled ? "the job is disabled" : "concurrency forbid");
    Log()->info("dispatcher: not running dependent job {} after group {}: {}", job->name,
                fire.parent_group, reason);
    {
      std::lock_guard lock(mu_);
      ++stats_.fires_skipped;
      ++(paused ? stats_.skipped_paused
                : (job->disabled ? stats_.skipped_disabled : stats_.skipped_forbid));
    }
    child_fires_.insert(key);
    proposer_->Propose(clock_->Now(), fsm::SkipFire{fire.job_name, fire.parent_group, reason},
                       [box = settled_, key](const Status& s) {
                         if (!s.ok() && s.code() != StatusCode::kNotFound) {
                           Log()->warn("dispatcher: dropping the dependent fire of {} failed: {}",
                                       key.first, s.ToString());
                         }
                         std::lock_guard lock(box->mu);
                         box->keys.push_back(key);
                       });
    return;
  }
  fsm::RecordFire r;
  r.job_name = fire.job_name;
  r.scheduled = fire.scheduled;
  r.group = fire.parent_group;
  r.manual = true;
  r.parent_group = fire.parent_group;
  r.targets = Targets(*job, AliveMembers());
  child_fires_.insert(key);
  // The callback may outlive this dispatcher: it only touches the box.
  proposer_->Propose(clock_->Now(), std::move(r), [box = settled_, key](const Status& s) {
    // kAlreadyExists: another leader recorded it first (or it was skipped).
    if (!s.ok() && s.code() != StatusCode::kAlreadyExists) {
      Log()->warn("dispatcher: recording the dependent fire of {} failed: {}", key.first,
                  s.ToString());
    }
    std::lock_guard lock(box->mu);
    box->keys.push_back(key);
    box->recorded += s.ok();
  });
}

}  // namespace ckron::dispatcher
