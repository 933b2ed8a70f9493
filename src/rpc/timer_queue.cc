#include "rpc/timer_queue.h"

#include "absl/time/clock.h"

namespace ckron::rpc {

TimerQueue::TimerQueue() : thread_([this] { Run(); }) {}

TimerQueue::~TimerQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

TimerQueue::Id TimerQueue::Schedule(absl::Time when, std::function<void()> fn) {
  bool earliest = false;
  Id id = 0;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    auto it = timers_.emplace(std::make_pair(when, id), std::move(fn)).first;
    when_.emplace(id, when);
    earliest = it == timers_.begin();
  }
  // Only a new earliest timer changes how long the thread must sleep.
  if (earliest) cv_.notify_one();
  return id;
}

bool TimerQueue::Cancel(Id id) {
  std::lock_guard lock(mu_);
  auto it = when_.find(id);
  if (it == when_.end()) return false;
  timers_.erase({it->second, id});
  when_.erase(it);
  return true;
}

std::size_t TimerQueue::pending() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

void TimerQueue::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const absl::Time due = timers_.begin()->first.first;
    if (absl::Now() < due) {
      cv_.wait_until(lock, absl::ToChronoTime(due));
      continue;
    }
    auto node = timers_.extract(timers_.begin());
    when_.erase(node.key().second);
    lock.unlock();
    node.mapped()();
    lock.lock();
  }
}

}  // namespace ckron::rpc
