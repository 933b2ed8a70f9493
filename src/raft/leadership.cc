#include "raft/leadership.h"

#include <utility>

namespace ckron::raft::internal {

void LeadershipTracker::Observe(bool is_leader, Term term, std::vector<LeadershipEvent>* out) {
  if (leading_ && (!is_leader || term != *leading_)) {
    out->push_back({LeadershipEvent::Kind::kLost, *leading_});
    leading_.reset();
  }
  if (is_leader && !leading_) {
    out->push_back({LeadershipEvent::Kind::kGained, term});
    leading_ = term;
  }
}

std::uint64_t ListenerRegistry::Add(Listener l, bool active) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  const std::uint64_t h = next_++;
  listeners_.emplace(h, Entry{std::move(l), active});
  return h;
}

void ListenerRegistry::Activate(std::uint64_t handle,
                                const std::optional<LeadershipEvent>& initial) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  auto it = listeners_.find(handle);
  if (it == listeners_.end()) return;
  it->second.active = true;
  if (initial) {
    Listener l = it->second.listener;
    l(*initial);
  }
}

void ListenerRegistry::Remove(std::uint64_t handle) {
  std::lock_guard<std::recursive_mutex> lock(mu_);
  listeners_.erase(handle);
}

void ListenerRegistry::Publish(const std::vector<LeadershipEvent>& events) {
  if (events.empty()) return;
  std::lock_guard<std::recursive_mutex> lock(mu_);
  for (const LeadershipEvent& e : events) {
    // Iterate by handle so a listener may add or remove listeners (itself
    // included) without invalidating the walk.
    std::uint64_t next = 0;
    for (auto it = listeners_.lower_bound(next); it != listeners_.end();
         it = listeners_.lower_bound(next)) {
      next = it->first + 1;
      if (!it->second.active) continue;
      Listener l = it->second.listener;  // a copy: the listener may remove itself
      l(e);
    }
  }
}

}  // namespace ckron::raft::internal
