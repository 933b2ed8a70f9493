#include "scheduler/scheduler_loop.h"

#include <chrono>
#include <map>
#include <memory>

#include "common/check.h"

namespace ckron::scheduler {

SchedulerLoop::SchedulerLoop(const JobSource* jobs, FireSink* sink, const Clock* clock,
                             SchedulerLoopOptions options)
    : jobs_(jobs), sink_(sink), clock_(clock), options_(options) {}

SchedulerLoop::~SchedulerLoop() {
  Stop();
}

void SchedulerLoop::Start() {
  std::lock_guard lock(mu_);
  CKRON_CHECK_MSG(!running_, "SchedulerLoop::Start while running");
  running_ = true;
  stop_ = false;
  reload_ = false;
  changed_.clear();
  thread_ = std::thread([this] { Run(); });
}

void SchedulerLoop::Stop() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    if (!running_) return;
    stop_ = true;
    t = std::move(thread_);
  }
  wake_.notify_all();
  t.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

bool SchedulerLoop::running() const {
  std::lock_guard lock(mu_);
  return running_ && !stop_;
}

void SchedulerLoop::JobChanged(const std::string& name) {
  {
    std::lock_guard lock(mu_);
    if (!running_ || stop_ || reload_) return;
    if (changed_.size() >= options_.max_pending_changes) {
      changed_.clear();
      reload_ = true;
    } else {
      changed_.push_back(name);
    }
  }
  wake_.notify_all();
}

void SchedulerLoop::ReloadAll() {
  {
    std::lock_guard lock(mu_);
    if (!running_ || stop_) return;
    changed_.clear();
    reload_ = true;
  }
  wake_.notify_all();
}

std::uint64_t SchedulerLoop::fires_emitted() const {
  std::lock_guard lock(mu_);
  return fires_emitted_;
}

std::uint64_t SchedulerLoop::skipped_fires() const {
  std::lock_guard lock(mu_);
  return skipped_;
}

bool AheadGate::MayFireAhead(const std::string& job_name) const {
  std::shared_ptr<const fsm::Job> job = jobs_->Find(job_name);
  return job && job->concurrency != "forbid" && job->concurrency != "replace";
}

std::vector<FireIntent> AheadGate::Admit(std::vector<FireIntent> popped, absl::Time now) {
  if (popped.empty() && (held_.empty() || held_.begin()->first > now)) return popped;
  std::vector<FireIntent> ready;
  ready.reserve(popped.size());
  for (FireIntent& f : popped) {
    if (f.scheduled > now && !MayFireAhead(f.job_name)) {
      held_.emplace(f.scheduled, std::move(f));
    } else {
      ready.push_back(std::move(f));
    }
  }
  while (!held_.empty() && held_.begin()->first <= now) {
    ready.push_back(std::move(held_.begin()->second));
    held_.erase(held_.begin());
  }
  return ready;
}

std::optional<absl::Time> AheadGate::NextHeld() const {
  if (held_.empty()) return std::nullopt;
  return held_.begin()->first;
}

void SchedulerLoop::Run() {
  Scheduler scheduler(jobs_, options_.scheduler);
  std::vector<FireIntent> catch_up = scheduler.Load(clock_->Now());
  const std::size_t caught_up = catch_up.size();
  if (!catch_up.empty()) sink_->OnFires(std::move(catch_up));
  AheadGate gate(jobs_);  // fires popped ahead that wait for their instant

  std::unique_lock lock(mu_);
  // Counted now: a Stop() may come before the first turn of the loop.
  fires_emitted_ += caught_up;
  skipped_ = scheduler.skipped_fires();
  while (!stop_) {
    // Apply what changed, outside the lock (reads the state).
    const bool reload = reload_;
    std::vector<std::string> changed;
    changed.swap(changed_);
    reload_ = false;
    lock.unlock();
    const absl::Time now = clock_->Now();
    std::size_t n = 0;
    if (reload) {
      gate.Clear();  // Load queues them again: they were not recorded
      std::vector<FireIntent> fires = scheduler.Load(now);
      n += fires.size();
      if (!fires.empty()) sink_->OnFires(std::move(fires));
    }
    for (const std::string& name : changed) scheduler.Refresh(name, now);

    const absl::Time horizon = clock_->Now();
    std::vector<FireIntent> due = scheduler.PopDue(horizon + options_.lead, options_.batch);
    const std::size_t popped = due.size();
    if (options_.lead > absl::ZeroDuration()) due = gate.Admit(std::move(due), horizon);
    n += due.size();
    if (!due.empty()) sink_->OnFires(std::move(due));
    lock.lock();
    fires_emitted_ += n;
    skipped_ = scheduler.skipped_fires();
    if (popped == options_.batch || !changed_.empty() || reload_ || stop_) continue;  // more to do

    // The next wake: the next fire's instant less the lead, or the next
    // held fire's instant.
    std::optional<absl::Time> next = scheduler.NextDue();
    if (next) *next -= options_.lead;
    if (const auto held = gate.NextHeld(); held && (!next || *held < *next)) next = held;
    if (!next) {
      wake_.wait(lock, [&] { return stop_ || reload_ || !changed_.empty(); });
    } else {
      // Sleep on the steady clock for the wall-clock distance to the fire.
      const absl::Duration until = *next - clock_->Now();
      if (until > absl::ZeroDuration()) {
        wake_.wait_until(lock, std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(until),
                         [&] { return stop_ || reload_ || !changed_.empty(); });
      }
    }
  }
}

}  // namespace ckron::scheduler
