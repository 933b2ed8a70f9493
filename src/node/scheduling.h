// Leader-only scheduling on a server: the scheduler loop (scheduler/, the
// "when") and the dispatcher (dispatcher/, the "where"), started when this
// server gains leadership and stopped when it loses it (style.md §5), and
// fed by the replicated state's events (style.md §6):
//
//   JobUpserted / JobDeleted          -> SchedulerLoop::JobChanged
//   snapshot restore                  -> SchedulerLoop::ReloadAll and a
//                                        dispatcher rescan
//   RunPending / FirePending /
//   ExecutionStarted                  -> Dispatcher::OnEvents
//
// Both receivers only queue, so the raft loop thread never waits here.
//
// Thread safety: EstablishLeadership/RevokeLeadership on the leader-loop
// thread; OnEvents/OnRestored on the raft loop thread; dispatcher() from any
// thread.
#ifndef CKRON_NODE_SCHEDULING_H_
#define CKRON_NODE_SCHEDULING_H_

#include <cstdint>
#include <memory>

#include "common/clock.h"
#include "dispatcher/dispatcher.h"
#include "node/leader_loop.h"
#include "replica/replicated_state.h"
#include "scheduler/scheduler_loop.h"

namespace ckron::dispatcher {
class StateJobs;
}  // namespace ckron::dispatcher

namespace ckron::node {

struct SchedulingOptions {
  scheduler::SchedulerLoopOptions scheduler;
  dispatcher::DispatcherOptions dispatcher;
};

class Scheduling final : public LeadershipObserver, public replica::EventSink {
 public:
  // Every pointer must outlive this object. Add it to the state's sinks
  // and to the leader loop's observers before Raft starts.
  Scheduling(SchedulingOptions options, const replica::ReplicatedState* state,
             dispatcher::Proposer* proposer, const dispatcher::MemberView* members,
             const Clock* clock);
  ~Scheduling() override;

  // LeadershipObserver: starts the dispatcher, then the scheduler (so the
  // first fires, misfire catch-ups included, find it running).
  void EstablishLeadership(Term term) override;
  // Stops the scheduler, then the dispatcher, before returning.
  void RevokeLeadership(Term term) override;

  // replica::EventSink
  void OnEvents(LogIndex index, const std::vector<fsm::Event>& events) override;
  void OnRestored(LogIndex index) override;

  // For the API (manual runs, live output). Not leading: its calls answer
  // kNotLeader / nothing.
  dispatcher::Dispatcher& dispatcher() { return dispatcher_; }
  // Fires the scheduler dropped under the misfire policy in the current
  // (or last) term; restarts from 0 each term (metrics).
  std::uint64_t misfire_skips() const { return loop_.skipped_fires(); }

 private:
  std::unique_ptr<dispatcher::StateJobs> jobs_;
  dispatcher::Dispatcher dispatcher_;
  scheduler::SchedulerLoop loop_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_SCHEDULING_H_
