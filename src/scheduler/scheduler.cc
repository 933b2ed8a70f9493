#include "scheduler/scheduler.h"

#include <algorithm>

#include "fsm/apply.h"

namespace ckron::scheduler {
namespace {

// std::*_heap build max-heaps; ordering by "later" makes the front earliest.
bool Later(const auto& a, const auto& b) {
  return a.at_ns > b.at_ns || (a.at_ns == b.at_ns && a.slot > b.slot);
}

// Counting missed fires is for metrics; a job missing millions of fires
// (an every-second job after days down) is counted up to this bound.
constexpr std::int64_t kCountCap = 100'000;

std::string_view Policy(const fsm::Job& job) {
  return job.misfire_policy.empty() ? std::string_view("run_once") : job.misfire_policy;
}

}  // namespace

Scheduler::Scheduler(const JobSource* jobs, SchedulerOptions options)
    : jobs_(jobs), options_(options) {}

std::vector<FireIntent> Scheduler::Load(absl::Time now) {
  heap_.clear();
  slots_.clear();
  free_slots_.clear();
  by_name_.clear();
  active_ = 0;
  std::vector<FireIntent> out;
  jobs_->ForEach([&](const fsm::Job& job) {
    if (job.disabled || job.schedule.empty()) return;
    CatchUp(job, now, out);
    if (auto next = fsm::FirstFireFrom(job, now)) {
      Queue(job.name, *next);
    }
  });
  return out;
}

// semantics §3: fires f with ref < f < now were missed.
void Scheduler::CatchUp(const fsm::Job& job, absl::Time now, std::vector<FireIntent>& out) {
  const absl::Time ref = job.last_fire.value_or(job.schedule_anchor);
  const std::string_view policy = Policy(job);
  std::int64_t missed = 0;
  if (policy == "run_all") {
    std::optional<absl::Time> f = fsm::NextFire(job, ref);
    for (; f && *f < now && missed < options_.max_catch_up + kCountCap; ++missed) {
      if (missed < options_.max_catch_up) {
        out.push_back({job.name, *f, true});
      } else {
        ++skipped_;
      }
      f = fsm::NextFire(job, *f);
    }
    return;
  }
  // run_once and skip: count what was missed, keep the newest.
  std::optional<absl::Time> newest;
  std::optional<absl::Time> f = fsm::NextFire(job, ref);
  if (!f || *f >= now) return;
  const absl::Duration deadline =
      job.starting_deadline.value_or(options_.default_starting_deadline);
  // Jump close to now instead of walking a long outage second by second:
  // only fires within the deadline can run.
  const absl::Time window_start = now - deadline - absl::Nanoseconds(1);
  if (*f < window_start) {
    // Count the fires before the window (bounded), then continue from it.
    std::optional<absl::Time> g = f;
    std::int64_t before = 0;
    while (g && *g <= window_start && before < kCountCap) {
      ++before;
      g = fsm::NextFire(job, *g);
    }
    missed += before;
    f = fsm::NextFire(job, std::max(ref, window_start));
  }
  for (; f && *f < now; f = fsm::NextFire(job, *f)) {
    newest = f;
    ++missed;
  }
  if (policy == "run_once" && newest) {
    out.push_back({job.name, *newest, true});
    --missed;
  }
  skipped_ += static_cast<std::uint64_t>(missed);
}

void Scheduler::Refresh(const std::string& name, absl::Time now) {
  std::shared_ptr<const fsm::Job> job = jobs_->Find(name);
  std::optional<absl::Time> next;
  // After its last recorded fire too: one recorded ahead of its instant
  // (SchedulerLoopOptions::lead) is not queued again.
  if (job && !job->disabled) {
    next = fsm::NextFire(*job, std::max(now, job->last_fire.value_or(absl::InfinitePast())));
  }
  if (next) {
    Queue(name, *next);
  } else {
    Unqueue(name);
  }
}

std::vector<FireIntent> Scheduler::PopDue(absl::Time now, std::size_t max) {
  std::vector<FireIntent> out;
  const std::int64_t limit = absl::ToUnixNanos(now);
  while (!heap_.empty() && out.size() < max && heap_.front().at_ns <= limit) {
    const Item top = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), Later<Item, Item>);
    heap_.pop_back();
    const Slot& slot = slots_[top.slot];
    if (!slot.queued || slot.gen != top.gen) continue;  // superseded
    const std::string name = slot.name;                 // Queue/Unqueue may move slots_
    const absl::Time at = absl::FromUnixNanos(top.at_ns);
    out.push_back({name, at, false});
    std::shared_ptr<const fsm::Job> job = jobs_->Find(name);
    std::optional<absl::Time> next;
    if (job && !job->disabled) next = fsm::NextFire(*job, at);
    if (next) {
      Queue(name, *next);
    } else {
      Unqueue(name);
    }
  }
  return out;
}

std::optional<absl::Time> Scheduler::NextDue() const {
  // The front may be superseded; the earliest live entry is never earlier,
  // so a stale front only makes the caller wake early and find nothing due.
  if (heap_.empty()) return std::nullopt;
  return absl::FromUnixNanos(heap_.front().at_ns);
}

void Scheduler::Queue(const std::string& name, absl::Time at) {
  auto [it, inserted] = by_name_.try_emplace(name, 0);
  if (inserted) {
    std::uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    slots_[slot].name = name;
    it->second = slot;
  }
  Slot& s = slots_[it->second];
  ++s.gen;
  if (!s.queued) ++active_;
  s.queued = true;
  s.at_ns = absl::ToUnixNanos(at);
  heap_.push_back({s.at_ns, it->second, s.gen});
  std::push_heap(heap_.begin(), heap_.end(), Later<Item, Item>);
  CompactIfStale();
}

void Scheduler::Unqueue(const std::string& name) {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return;
  Slot& s = slots_[it->second];
  if (s.queued) --active_;
  s.queued = false;
  ++s.gen;  // heap entries of this slot are stale from now on
  s.name.clear();
  free_slots_.push_back(it->second);
  by_name_.erase(it);
}

// Superseded entries stay in the heap until popped; rebuild when they
// outnumber live ones so memory stays proportional to the jobs.
void Scheduler::CompactIfStale() {
  if (heap_.size() <= 2 * active_ + 1024) return;
  heap_.clear();
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].queued) heap_.push_back({slots_[i].at_ns, i, slots_[i].gen});
  }
  std::make_heap(heap_.begin(), heap_.end(), Later<Item, Item>);
}

}  // namespace ckron::scheduler
