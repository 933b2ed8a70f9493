// Records what the cluster does into the metrics registry
// (metrics/metrics.h), from hooks that already exist, so no component
// needs to know about metrics:
//
//   - the replicated state's events (a replica::EventSink on every server):
//     fires by kind (manual, scheduled) and executions by result, counted
//     by the leader only so that a cluster's total is not multiplied by its
//     size; Dkron's per-job dkron_job_executions_{succeeded,failed}_total on
//     every server, as Dkron counts them in its FSM;
//   - leadership (a LeadershipObserver): the raft_leader gauge and
//     scheduler_start;
//   - gossip member events (node/member_events.h): events_received by
//     event, and gossip_members by state recounted from the member list.
//
// Thread safety: the hooks are called on their owners' threads; the
// leading flag is atomic and the handles are safe for concurrent use.
#ifndef CKRON_NODE_CLUSTER_METRICS_H_
#define CKRON_NODE_CLUSTER_METRICS_H_

#include <atomic>
#include <vector>

#include "membership/membership.h"
#include "metrics/metrics.h"
#include "node/leader_loop.h"
#include "replica/replicated_state.h"

namespace ckron::node {

class ClusterMetrics final : public replica::EventSink, public LeadershipObserver {
 public:
  // `metrics` must outlive this object.
  explicit ClusterMetrics(metrics::Metrics* metrics);

  // replica::EventSink
  void OnEvents(LogIndex index, const std::vector<fsm::Event>& events) override;
  void OnRestored(LogIndex index) override;

  // LeadershipObserver
  void EstablishLeadership(Term term) override;
  void RevokeLeadership(Term term) override;

  // A gossip event; `members` is the membership it came from.
  void OnMemberEvent(const membership::MemberEvent& event,
                     const std::vector<membership::MemberInfo>& members);

 private:
  metrics::Metrics* const m_;
  const metrics::Counter fires_scheduled_;
  const metrics::Counter fires_manual_;
  const metrics::Counter executions_success_;
  const metrics::Counter executions_failed_;
  std::atomic<bool> leading_{false};
};

}  // namespace ckron::node

#endif  // CKRON_NODE_CLUSTER_METRICS_H_
