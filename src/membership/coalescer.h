// Event coalescing as Serf does it (serf coalesce.go, coalesce_member.go,
// coalesce_user.go) and as Dkron configures it (coalesce 3 s, quiescent
// 1 s, for member and user events alike):
//
//  - member events (join, leave, failed, update, reap) are held; the batch
//    is delivered `period` after its first event, or as soon as `quiescent`
//    passes without another. Each member appears once per batch, with its
//    latest event; a member whose latest event repeats the last one
//    delivered for it (join after a failed-then-rejoined flap, say) is not
//    delivered at all, except updates, which always are.
//  - user events sent with coalesce=true are held the same way, per event
//    name: only those with the newest Lamport time are delivered. User
//    events sent without coalescing, and queries, pass straight through.
//
// One deliberate difference: Serf never clears its per-member "latest"
// map, so every later batch re-delivers each member's last update (a
// known quirk). Here a batch holds only what arrived since the previous
// one.
//
// Batches come out in a fixed order: by event type (join, leave, failed,
// update, reap), then by member name; user events by name, then arrival.
//
// Thread safety: not thread-safe. Runs on the gossip owner thread, driven by
// that thread's Env (a real or a simulated clock).
#ifndef CKRON_MEMBERSHIP_COALESCER_H_
#define CKRON_MEMBERSHIP_COALESCER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "membership/env.h"
#include "membership/serf.h"

namespace ckron::membership {

struct CoalesceOptions {
  // Member events. Both must be > 0 to coalesce; otherwise they pass
  // through at once. Longer periods absorb more flapping and deliver later.
  Nanos member_period = 3s;     // a batch is delivered at most this long after its first event
  Nanos member_quiescent = 1s;  // ... or once this long passes without another
  // User events sent with coalesce=true; the same rules.
  Nanos user_period = 3s;
  Nanos user_quiescent = 1s;
};

class EventCoalescer {
 public:
  using Sink = std::function<void(const SerfEvent&)>;

  // REQUIRES: env outlives this object. `out` receives every delivered
  // event, on the owner thread.
  EventCoalescer(CoalesceOptions options, Env& env, Sink out);
  ~EventCoalescer();
  EventCoalescer(const EventCoalescer&) = delete;
  EventCoalescer& operator=(const EventCoalescer&) = delete;

  // Takes one event from Serf: delivers it now or holds it.
  void Push(const SerfEvent& e);
  // Delivers everything held, now (at shutdown or leave).
  void Flush();

 private:
  // One batching window (coalesceLoop's quantum + quiescent timers).
  struct Window {
    Env::TimerId period_timer = 0;
    Env::TimerId quiescent_timer = 0;
  };
  void Arm(Window& w, Nanos period, Nanos quiescent, void (EventCoalescer::*flush)());
  void Disarm(Window& w);
  void FlushMembers();
  void FlushUsers();
  bool CoalescesMembers() const;
  bool CoalescesUsers() const;

  CoalesceOptions options_;
  Env& env_;
  Sink out_;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);

  Window member_window_;
  // Held member events, latest per member name.
  std::map<std::string, std::pair<SerfEvent::Type, Member>> members_;
  // The last event type delivered per member; a reap forgets the member.
  std::map<std::string, SerfEvent::Type> delivered_;

  Window user_window_;
  // Held coalescing user events per name: only the newest Lamport time.
  std::map<std::string, std::vector<SerfEvent>> users_;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_COALESCER_H_
