// Leader-only work, owned by one thread (style.md §5; Dkron leader.go):
//
//   kGained{term} -> Barrier (the state machine has applied everything
//                    committed before this term's work starts)
//                 -> EstablishLeadership: every LeadershipObserver is told
//                    (the scheduler and dispatcher will hook in here)
//                 -> reconcile gossip servers <-> Raft voters (reconcile.h),
//                    then again every `reconcile_interval` and whenever a
//                    server's gossip state changes
//   kLost{term}   -> RevokeLeadership: observers stop leader-only work
//
// Raft's leadership listener runs on the raft loop thread and must not
// block: it only queues the event here. Member events are queued the same
// way (OnMemberEvent). Reaps are remembered on every server, leader or not,
// so that a server reaped while this one followed is still removed when it
// leads.
//
// Thread safety: Start/Stop from the owner (the agent); OnMemberEvent from
// any thread. This class behaves like a monitor: mu_ guards the queues and
// flags below it. Observers are called on the leader-loop thread only.
#ifndef CKRON_NODE_LEADER_LOOP_H_
#define CKRON_NODE_LEADER_LOOP_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/ids.h"
#include "membership/membership.h"
#include "raft/raft.h"

namespace ckron::node {

// Leader-only components implement this to learn when to start and stop.
// Both calls run on the leader-loop thread, in pairs (an Establish for a
// term is always followed by one Revoke for that term, at the latest when
// the agent stops). They may block briefly but must not wait for Raft to
// commit anything (a lost leadership would never let them return).
class LeadershipObserver {
 public:
  virtual ~LeadershipObserver() = default;
  // This server leads in `term`, and its state machine has applied every
  // entry committed before. Start leader-only work.
  virtual void EstablishLeadership(Term term) = 0;
  // Leadership of `term` ended (or the agent is stopping). Stop leader-only
  // work before returning.
  virtual void RevokeLeadership(Term term) = 0;
};

struct LeaderLoopOptions {
  std::string region;  // servers of other regions are never added
  // Periodic reconcile (Dkron's reconcileinterval). Events trigger one
  // sooner; the period catches anything an event missed.
  std::chrono::milliseconds reconcile_interval{60000};
  // How long one Barrier may take before it is retried (Dkron: 2 min).
  std::chrono::milliseconds barrier_timeout{120000};
  // How long to wait for one AddVoter/RemoveServer (a new voter's catch-up
  // can take several rounds).
  std::chrono::milliseconds change_timeout{60000};
  // After a change failed, the next reconcile comes this soon.
  std::chrono::milliseconds retry_interval{5000};
  // Told how long each phase took, on the loop thread (metrics): "barrier",
  // "establish_leadership" (the observers' part), "established" (election
  // won -> observers done: barrier included), "reconcile",
  // "revoke_leadership". Must not block. Empty = not timed.
  std::function<void(std::string_view phase, std::chrono::nanoseconds took)> on_phase;
};

class LeaderLoop {
 public:
  // `raft` and `members` must outlive this object; observers too.
  LeaderLoop(LeaderLoopOptions options, raft::Node* raft, const membership::Membership* members,
             std::vector<LeadershipObserver*> observers);
  ~LeaderLoop();  // Stop()

  // Registers the leadership listener and starts the thread.
  void Start();
  // Revokes leadership if established, unregisters, joins the thread.
  // Idempotent. Call before stopping Raft.
  void Stop();

  // A gossip member event (from node/member_events.h). Never blocks.
  void OnMemberEvent(const membership::MemberEvent& event);

  // For status and tests.
  std::uint64_t reconciles() const;

 private:
  void RunLoop();
  void HandleLeadership(const raft::LeadershipEvent& e);  // loop thread, mu_ not held
  bool BarrierFor(Term term);                             // loop thread
  bool Reconcile();  // loop thread; false if a change failed and should be retried soon
  // Waits for `f` up to `timeout`, giving up early on Stop; nullopt then.
  template <typename T>
  std::optional<T> Await(std::future<T>& f, std::chrono::milliseconds timeout);
  bool LostQueued(Term term) const;  // REQUIRES: mu_ held
  // Reports `phase` as started at `started` and ended now; returns now.
  std::chrono::steady_clock::time_point Timed(std::string_view phase,
                                              std::chrono::steady_clock::time_point started) const;

  const LeaderLoopOptions options_;
  raft::Node* const raft_;
  const membership::Membership* const members_;
  const std::vector<LeadershipObserver*> observers_;
  std::uint64_t listener_ = 0;
  bool listening_ = false;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<raft::LeadershipEvent> events_;  // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  bool reconcile_requested_ = false;          // guarded by mu_
  std::map<RaftId, std::string> reaped_;      // guarded by mu_; id -> name
  std::uint64_t reconciles_ = 0;              // guarded by mu_
  // Loop thread only:
  std::optional<Term> established_;  // the term whose leadership observers were told of
};

}  // namespace ckron::node

#endif  // CKRON_NODE_LEADER_LOOP_H_
