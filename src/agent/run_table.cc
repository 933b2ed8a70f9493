#include "agent/run_table.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <system_error>
#include <utility>

#include "common/log.h"
#include "common/thread_name.h"
#include "executor/executor.h"

namespace ckron::agent {

struct RunTable::Entry {
  RunSpec spec;
  absl::Time started_at;
  std::stop_source stop;             // Cancel() and Runner's shutdown stop the run
  bool armed = false;                // accepted ahead of started_at: it waits in timer_
  bool in_timer = false;             // guarded by the table's mu_: waiting in timer_
  std::atomic<bool> started{false};  // an armed run reached its instant (or was stopped)

  std::mutex mu;  // guards the two below; observers are called with it held
  std::vector<std::shared_ptr<RunObserver>> observers;
  bool done = false;  // the result has been taken; no more observers
};

RunTable::RunTable(executor::Runner* runner, ResultSink* sink, RunTableOptions options)
    : runner_(runner), sink_(sink), options_(std::move(options)) {
  CKRON_CHECK(runner_ != nullptr && sink_ != nullptr && options_.clock != nullptr);
  CKRON_CHECK(!options_.node_name.empty());
  results_thread_ = std::thread(&RunTable::ResultsMain, this);
  timer_thread_ = std::thread(&RunTable::TimerMain, this);
}

RunTable::~RunTable() {
  {
    std::unique_lock lock(mu_);
    shutting_down_ = true;
    runs_done_.wait(lock, [this] { return active_runs_ == 0; });
  }
  StopWorkersAndJoin();
}

namespace {

// Execution ids are unique only within a job (Dkron's "<nanos>-<node>"):
// two jobs firing at the same instant on this node share one. Runs are
// keyed by both; job names cannot contain NUL (fsm::ValidateJob).
std::string RunKey(const std::string& job_name, const std::string& execution_id) {
  std::string key = job_name;
  key.push_back('\0');
  key += execution_id;
  return key;
}

}  // namespace

Result<StartOutcome> RunTable::Start(RunSpec spec, std::shared_ptr<RunObserver> observer) {
  if (spec.execution_id.empty()) return Status::InvalidArgument("execution id is empty");
  if (spec.job.name.empty()) return Status::InvalidArgument("job name is empty");
  JoinFinishedThreads();
  const absl::Time now = options_.clock->Now();
  std::lock_guard lock(mu_);
  Forget(now);
  const std::string key = RunKey(spec.job.name, spec.execution_id);
  if (auto it = running_.find(key); it != running_.end()) {
    const std::shared_ptr<Entry>& entry = it->second;
    if (observer) {
      std::lock_guard entry_lock(entry->mu);
      // Not done: Finish() erases from running_ (under mu_) before it takes
      // the observers.
      CKRON_CHECK(!entry->done);
      entry->observers.push_back(std::move(observer));
    }
    return StartOutcome{.started_at = entry->started_at, .duplicate = true};
  }
  if (auto it = recent_.find(key); it != recent_.end()) {
    return StartOutcome{.started_at = it->second.execution.started_at,
                        .duplicate = true,
                        .finished = it->second.execution};
  }
  if (shutting_down_) return Status::Unavailable("node is shutting down: no new executions");
  if (running_.size() >= options_.max_running) {
    return Status::ResourceExhausted(std::to_string(running_.size()) +
                                     " executions are running on this node, the most allowed");
  }
  auto entry = std::make_shared<Entry>();
  entry->spec = std::move(spec);
  // A run sent ahead of its instant starts then (its thread waits), bounded
  // by max_start_wait against a leader whose clock runs far ahead.
  entry->started_at = std::clamp(entry->spec.start_at, now, now + options_.max_start_wait);
  entry->armed = entry->started_at > now;
  ++unadmitted_runs_;
  if (observer) entry->observers.push_back(std::move(observer));
  running_.emplace(key, entry);
  ++active_runs_;
  if (entry->armed) {
    {
      std::lock_guard results_lock(results_mu_);
      armed_.emplace(entry->started_at, entry);
    }
    auto [at, created] = timer_.try_emplace(entry->started_at);
    if (created) {
      at->second.deadline = Steady::now() + absl::ToChronoNanoseconds(entry->started_at - now);
      if (at == timer_.begin()) timer_cv_.notify_one();
    }
    at->second.runs.push_back(entry);
    entry->in_timer = true;
    ++timer_runs_;
  } else {
    work_.push_back(entry);
  }
  // One thread for every run queued or armed, so a burst of blocking runs
  // never waits for a thread to be created: an armed run's thread idles
  // until the instant.
  const bool short_of_threads = work_.size() + timer_runs_ > idle_ + starting_;
  Status woke = WakeWorkers(entry->armed ? 0 : 1, short_of_threads);
  if (!woke.ok()) {
    if (entry->armed) {
      auto at = timer_.find(entry->started_at);
      at->second.runs.pop_back();
      if (at->second.runs.empty()) timer_.erase(at);
      entry->in_timer = false;
      --timer_runs_;
    } else {
      work_.pop_back();
    }
    Started(entry);
    running_.erase(key);
    --active_runs_;
    --unadmitted_runs_;
    return woke;
  }
  return StartOutcome{.started_at = entry->started_at, .duplicate = false};
}

Status RunTable::WakeWorkers(std::size_t n, bool create) {
  const std::size_t available = idle_ > waking_ ? idle_ - waking_ : 0;
  const std::size_t wake = std::min(n, available);
  for (std::size_t i = 0; i < wake; ++i) work_ready_.notify_one();
  waking_ += wake;
  if (!create) return OkStatus();
  // It waits for mu_, which the caller holds, before it looks at work_ or
  // at its own handle.
  workers_.emplace_front();
  try {
    workers_.front() = std::thread(&RunTable::WorkerMain, this, workers_.begin());
  } catch (const std::system_error& e) {
    workers_.pop_front();
    return Status::ResourceExhausted(std::string("cannot start an execution thread: ") + e.what());
  }
  ++starting_;
  return OkStatus();
}

void RunTable::TimerMain() {
  SetThreadName("ckron-timer");
  std::unique_lock lock(mu_);
  while (!stop_workers_) {
    if (timer_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const Steady::time_point first = timer_.begin()->second.deadline;
    if (Steady::now() < first) {
      timer_cv_.wait_until(lock, first);
      continue;
    }
    const Steady::time_point now = Steady::now();
    std::size_t due = 0;
    while (!timer_.empty() && timer_.begin()->second.deadline <= now) {
      for (std::shared_ptr<Entry>& entry : timer_.begin()->second.runs) {
        if (!entry->in_timer) continue;  // cancelled: already on its way
        entry->in_timer = false;
        work_.push_back(std::move(entry));
        ++due;
      }
      timer_.erase(timer_.begin());
    }
    timer_runs_ -= due;
    if (due > 0) {
      settle_until_.store(
          (now + absl::ToChronoNanoseconds(options_.result_settle)).time_since_epoch().count());
    }
    // Two chains (the cores of a small node); each thread that takes a run
    // wakes one more while work remains. A failed creation leaves the runs
    // to the threads there are.
    (void)WakeWorkers(std::min<std::size_t>(due, 2), work_.size() > idle_ + starting_);
  }
}

void RunTable::WorkerMain(Workers::iterator self) {
  SetThreadName("ckron-run");
  std::unique_lock lock(mu_);
  --starting_;
  while (true) {
    if (!work_.empty()) {
      std::shared_ptr<Entry> entry = std::move(work_.front());
      work_.pop_front();
      // Pass the baton: one more thread while runs wait (this one may block).
      if (!work_.empty() && waking_ == 0) (void)WakeWorkers(1, false);
      lock.unlock();
      Execute(entry);
      entry.reset();
      lock.lock();
      continue;
    }
    if (stop_workers_) break;
    ++idle_;
    const std::cv_status waited =
        work_ready_.wait_for(lock, absl::ToChronoNanoseconds(options_.idle_thread_ttl));
    --idle_;
    if (waking_ > 0) --waking_;  // this thread, or one like it, is awake now
    // Idle too long, unless the armed runs still need this thread.
    if (waited == std::cv_status::timeout && work_.empty() && !stop_workers_ &&
        timer_runs_ <= idle_ + starting_) {
      break;
    }
  }
  exited_.splice(exited_.end(), workers_, self);
  workers_gone_.notify_all();
}

void RunTable::Admitted() {
  // Lock-free unless Shutdown() may be waiting (a burst of runs would
  // otherwise contend for mu_ here). Both sides are seq_cst: either Shutdown
  // sees the count already lower, or this sees shutdown_begun_ and wakes it.
  if (unadmitted_runs_.fetch_sub(1) == 1 && shutdown_begun_.load()) {
    std::lock_guard lock(mu_);
    runs_done_.notify_all();
  }
}

void RunTable::Started(const std::shared_ptr<Entry>& entry) {
  // No lock, no wake-up: this is on every run of a burst. A results thread
  // holding results polls (kHoldPoll).
  entry->started.store(true, std::memory_order_release);
}

bool RunTable::StartsDue(absl::Time now) {
  while (!armed_.empty() && armed_.begin()->second->started.load(std::memory_order_acquire)) {
    armed_.erase(armed_.begin());
  }
  return !armed_.empty() && armed_.begin()->first <= now;
}

struct RunTable::Completed {
  std::shared_ptr<Entry> entry;
  fsm::Execution execution;
  Completed* next = nullptr;
};

void RunTable::Complete(std::shared_ptr<Entry> entry, fsm::Execution execution) {
  auto* node = new Completed{std::move(entry), std::move(execution)};
  Completed* head = completed_.load(std::memory_order_relaxed);
  do {
    node->next = head;
  } while (!completed_.compare_exchange_weak(head, node, std::memory_order_release,
                                             std::memory_order_relaxed));
  // Only the first result after the results thread emptied the stack wakes
  // it; it checks the stack under results_mu_ before it sleeps.
  if (head == nullptr) {
    std::lock_guard lock(results_mu_);
    results_ready_.notify_one();
  }
}

void RunTable::ResultsMain() {
  SetThreadName("ckron-results");
  using Steady = std::chrono::steady_clock;
  // While results are held, how often the starts are looked at again.
  constexpr auto kHoldPoll = std::chrono::milliseconds(1);
  while (true) {
    {
      std::unique_lock lock(results_mu_);
      results_ready_.wait(lock, [this] {
        return completed_.load(std::memory_order_acquire) != nullptr || stop_results_;
      });
      if (completed_.load(std::memory_order_acquire) == nullptr) return;  // stopped, all handled
      const Steady::time_point hold_until =
          Steady::now() + absl::ToChronoNanoseconds(options_.max_result_hold);
      while (!stop_results_) {
        const Steady::time_point now = Steady::now();
        const bool settling = now.time_since_epoch().count() < settle_until_.load();
        if (now >= hold_until || (!settling && !StartsDue(options_.clock->Now()))) break;
        results_ready_.wait_until(lock, std::min(hold_until, now + kHoldPoll));
      }
    }
    // Oldest first: the stack is newest first.
    Completed* list = completed_.exchange(nullptr, std::memory_order_acquire);
    Completed* fifo = nullptr;
    while (list != nullptr) {
      Completed* next = list->next;
      list->next = fifo;
      fifo = list;
      list = next;
    }
    while (fifo != nullptr) {
      std::unique_ptr<Completed> done(fifo);
      fifo = fifo->next;
      Finish(done->entry, std::move(done->execution));
    }
  }
}

void RunTable::Execute(const std::shared_ptr<Entry>& entry) {
  const RunSpec& spec = entry->spec;
  Started(entry);
  if (entry->armed && entry->stop.stop_requested()) {
    Admitted();
    Complete(entry,
             fsm::Execution{.id = spec.execution_id,
                            .job_name = spec.job.name,
                            .started_at = entry->started_at,
                            .finished_at = options_.clock->Now(),
                            .success = false,
                            .output = executor::FailedExecution(
                                          Status::Cancelled("cancelled before its start time"))
                                          .output,
                            .node_name = options_.node_name,
                            .group = spec.group,
                            .attempt = spec.attempt});
    return;
  }
  if (options_.on_start) options_.on_start(spec, options_.clock->Now());
  const executor::ExecuteRequest request{.job_name = JobName(spec.job.name),
                                         .execution_id = ExecutionId(spec.execution_id),
                                         .config = spec.job.executor_config};
  const executor::OutputSink sink = [&entry](std::string_view chunk) {
    std::lock_guard lock(entry->mu);
    for (const auto& observer : entry->observers) observer->OnOutput(chunk);
  };
  // Until the runner counts the run, Shutdown() waits before it shuts the
  // runner: a run accepted here is never refused there.
  bool admitted = false;
  Result<executor::ExecutionResult> ran =
      runner_->Run(spec.job.executor, request, sink, entry->stop.get_token(), [&] {
        admitted = true;
        Admitted();
      });
  if (!admitted) Admitted();
  // This table is the only caller of the runner and never starts an id twice.
  CKRON_CHECK_MSG(ran.ok() || ran.status().code() != StatusCode::kAlreadyExists,
                  ran.status().ToString());
  executor::ExecutionResult result =
      ran.ok() ? std::move(*ran) : executor::FailedExecution(ran.status());
  Complete(entry, fsm::Execution{.id = spec.execution_id,
                                 .job_name = spec.job.name,
                                 .started_at = entry->started_at,
                                 .finished_at = options_.clock->Now(),
                                 .success = result.success,
                                 .output = std::move(result.output),
                                 .node_name = options_.node_name,
                                 .group = spec.group,
                                 .attempt = spec.attempt});
}

void RunTable::Finish(const std::shared_ptr<Entry>& entry, fsm::Execution execution) {
  {
    // Atomically from running to remembered: a concurrent Start() of the
    // same id sees one or the other.
    std::lock_guard lock(mu_);
    running_.erase(RunKey(execution.job_name, execution.id));
    Remember(execution);
  }
  std::vector<std::shared_ptr<RunObserver>> observers;
  {
    std::lock_guard lock(entry->mu);
    observers.swap(entry->observers);
    entry->done = true;
  }
  // The sink first: once a stream says `finished`, the report is queued.
  sink_->Deliver(execution);
  for (const auto& observer : observers) observer->OnFinished(execution);
  {
    std::lock_guard lock(mu_);
    --active_runs_;
  }
  runs_done_.notify_all();
}

void RunTable::Remember(const fsm::Execution& execution) {
  const absl::Time now = options_.clock->Now();
  const std::string key = RunKey(execution.job_name, execution.id);
  auto [it, inserted] =
      recent_.insert_or_assign(key, Remembered{execution, now + options_.remember_for});
  CKRON_CHECK(inserted);  // runs start once: never remembered twice
  recent_order_.push_back(key);
  remembered_bytes_ += execution.output.size();
  while (!recent_order_.empty() && (recent_.size() > options_.remember_count ||
                                    remembered_bytes_ > options_.remember_bytes)) {
    auto oldest = recent_.find(recent_order_.front());
    remembered_bytes_ -= oldest->second.execution.output.size();
    recent_.erase(oldest);
    recent_order_.pop_front();
  }
  Forget(now);
}

void RunTable::Forget(absl::Time now) {
  while (!recent_order_.empty()) {
    auto oldest = recent_.find(recent_order_.front());
    if (oldest->second.expires > now) break;
    remembered_bytes_ -= oldest->second.execution.output.size();
    recent_.erase(oldest);
    recent_order_.pop_front();
  }
}

void RunTable::StopWorkersAndJoin() {
  {
    std::unique_lock lock(mu_);
    stop_workers_ = true;
    work_ready_.notify_all();
    timer_cv_.notify_all();
    workers_gone_.wait(lock, [this] { return workers_.empty(); });
  }
  JoinFinishedThreads();
  if (timer_thread_.joinable()) timer_thread_.join();
  {
    std::lock_guard lock(results_mu_);
    stop_results_ = true;
  }
  results_ready_.notify_all();
  if (results_thread_.joinable()) results_thread_.join();
}

void RunTable::JoinFinishedThreads() {
  Workers threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(exited_);
  }
  for (std::thread& t : threads) t.join();
}

Status RunTable::Cancel(const std::string& job_name, const std::string& execution_id) {
  std::lock_guard lock(mu_);
  auto it = running_.find(RunKey(job_name, execution_id));
  if (it == running_.end()) {
    return Status::NotFound("execution " + execution_id + " of job " + job_name +
                            " is not running on this node");
  }
  const std::shared_ptr<Entry>& entry = it->second;
  entry->stop.request_stop();
  if (entry->in_timer) {  // armed: it ends now, failed, without running
    entry->in_timer = false;
    --timer_runs_;
    work_.push_back(entry);
    (void)WakeWorkers(1, false);
  }
  return OkStatus();
}

std::vector<RunningInfo> RunTable::Running() const {
  std::lock_guard lock(mu_);
  std::vector<RunningInfo> out;
  out.reserve(running_.size());
  for (const auto& [key, entry] : running_) {
    out.push_back({.execution_id = entry->spec.execution_id,
                   .job_name = entry->spec.job.name,
                   .group = entry->spec.group,
                   .attempt = entry->spec.attempt,
                   .started_at = entry->started_at});
  }
  return out;
}

std::size_t RunTable::threads() const {
  std::lock_guard lock(mu_);
  return workers_.size();
}

std::size_t RunTable::idle_threads() const {
  std::lock_guard lock(mu_);
  return idle_;
}

Status RunTable::Shutdown() {
  {
    // Every accepted run is already "running" for the cluster: those armed
    // ahead (start_at) start at their instant (at most max_start_wait away),
    // the rest as soon as their thread reaches the runner; all get the
    // runner's grace.
    std::unique_lock lock(mu_);
    shutting_down_ = true;
    shutdown_begun_.store(true);
    runs_done_.wait(lock, [this] { return unadmitted_runs_.load() == 0; });
  }
  Status stopped = runner_->Shutdown();
  if (!stopped.ok()) {
    logging::Get("agent")->error("run table: {}", stopped.ToString());
    return stopped;
  }
  {
    std::unique_lock lock(mu_);
    runs_done_.wait(lock, [this] { return active_runs_ == 0; });
  }
  StopWorkersAndJoin();
  return OkStatus();
}

}  // namespace ckron::agent
