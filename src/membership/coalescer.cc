#include "membership/coalescer.h"

#include <utility>

namespace ckron::membership {

namespace {
bool IsMemberEvent(SerfEvent::Type t) {
  switch (t) {
    case SerfEvent::Type::kMemberJoin:
    case SerfEvent::Type::kMemberLeave:
    case SerfEvent::Type::kMemberFailed:
    case SerfEvent::Type::kMemberUpdate:
    case SerfEvent::Type::kMemberReap:
      return true;
    case SerfEvent::Type::kUser:
    case SerfEvent::Type::kQuery:
      return false;
  }
  return false;
}
}  // namespace

EventCoalescer::EventCoalescer(CoalesceOptions options, Env& env, Sink out)
    : options_(options), env_(env), out_(std::move(out)) {}

EventCoalescer::~EventCoalescer() {
  Disarm(member_window_);
  Disarm(user_window_);
}

bool EventCoalescer::CoalescesMembers() const {
  return options_.member_period > 0s && options_.member_quiescent > 0s;
}

bool EventCoalescer::CoalescesUsers() const {
  return options_.user_period > 0s && options_.user_quiescent > 0s;
}

void EventCoalescer::Push(const SerfEvent& e) {
  if (IsMemberEvent(e.type) && CoalescesMembers()) {
    for (const Member& m : e.members) members_[m.name] = {e.type, m};
    Arm(member_window_, options_.member_period, options_.member_quiescent,
        &EventCoalescer::FlushMembers);
    return;
  }
  if (e.type == SerfEvent::Type::kUser && e.coalesce && CoalescesUsers()) {
    auto& held = users_[e.name];
    if (held.empty() || held.front().ltime < e.ltime) {
      held.assign(1, e);
    } else if (held.front().ltime == e.ltime) {
      held.push_back(e);
    }  // older than what we hold: superseded, dropped
    Arm(user_window_, options_.user_period, options_.user_quiescent, &EventCoalescer::FlushUsers);
    return;
  }
  out_(e);
}

// serf coalesce.go coalesceLoop: the first event of a batch starts the
// period; every event restarts the quiescent timer; whichever fires first
// delivers the batch.
void EventCoalescer::Arm(Window& w, Nanos period, Nanos quiescent,
                         void (EventCoalescer::*flush)()) {
  std::weak_ptr<bool> tok = alive_token_;
  Window* win = &w;
  auto fire = [this, tok, win, flush](Env::TimerId Window::*which) {
    return [this, tok, win, flush, which] {
      if (tok.expired()) return;
      win->*which = 0;  // fired: nothing to cancel
      (this->*flush)();
    };
  };
  if (w.period_timer == 0) w.period_timer = env_.After(period, fire(&Window::period_timer));
  if (w.quiescent_timer != 0) env_.Cancel(w.quiescent_timer);
  w.quiescent_timer = env_.After(quiescent, fire(&Window::quiescent_timer));
}

void EventCoalescer::Disarm(Window& w) {
  if (w.period_timer != 0) env_.Cancel(w.period_timer);
  if (w.quiescent_timer != 0) env_.Cancel(w.quiescent_timer);
  w = Window{};
}

// serf coalesce_member.go Flush, grouped into one event per type.
void EventCoalescer::FlushMembers() {
  Disarm(member_window_);
  std::map<SerfEvent::Type, SerfEvent> batches;
  for (auto& [name, held] : members_) {
    const auto& [type, member] = held;
    auto last = delivered_.find(name);
    if (last != delivered_.end() && last->second == type &&
        type != SerfEvent::Type::kMemberUpdate) {
      continue;
    }
    if (type == SerfEvent::Type::kMemberReap) {
      if (last != delivered_.end()) delivered_.erase(last);
    } else {
      delivered_[name] = type;
    }
    SerfEvent& batch = batches[type];
    batch.type = type;
    batch.members.push_back(member);
  }
  members_.clear();
  for (const auto& [type, batch] : batches) out_(batch);
}

// serf coalesce_user.go Flush.
void EventCoalescer::FlushUsers() {
  Disarm(user_window_);
  auto held = std::move(users_);
  users_.clear();
  for (const auto& [name, events] : held) {
    for (const SerfEvent& e : events) out_(e);
  }
}

void EventCoalescer::Flush() {
  FlushUsers();
  FlushMembers();
}

}  // namespace ckron::membership
