// Delivers gossip member events to the parts of the node that react to
// them (the leader loop, cluster formation), and logs each one. One thread
// drains the membership subscription (a bounded queue: gossip never waits
// for us; if we fall behind, the oldest events are dropped and counted, and
// the leader loop's periodic reconcile covers what they would have
// triggered).
//
// Thread safety: the handlers run on the pump thread, one event at a time;
// they must not block. Stop from the owner.
#ifndef CKRON_NODE_MEMBER_EVENTS_H_
#define CKRON_NODE_MEMBER_EVENTS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "membership/membership.h"

namespace ckron::node {

class MemberEventPump {
 public:
  using Handler = std::function<void(const membership::MemberEvent&)>;

  // Subscribes to `members` (which must outlive the pump) and starts the
  // thread.
  MemberEventPump(membership::Membership* members, std::vector<Handler> handlers);
  ~MemberEventPump();  // Stop()

  // Closes the subscription and joins the thread. Idempotent.
  void Stop();

 private:
  void RunLoop();

  const std::vector<Handler> handlers_;
  std::shared_ptr<membership::EventSubscription> subscription_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_MEMBER_EVENTS_H_
