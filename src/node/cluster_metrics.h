// Records what the cluster does into the metrics registry
// (metrics/metrics.h), from hooks that already exist, so no component
// needs to know about metrics:
//
//   - the replicated state's events (a replica::EventSink on every server):
//     fires by kind (manual, scheduled) and executions by result, counted
//     by the leader only so that a cluster's total is not multiplied by its
//     size; Dkron's per-job dkron_job_executions_{succeeded,failed}_total on
//     every server, as Dkron counts them in its FSM, for at most
//     `job_series_limit` jobs (later ones share job_name="_other");
//   - every applied command on the leader: raft_commit (its proposer's stamp
//     -> applied here);
//   - leadership (a LeadershipObserver): the raft_leader gauge and
//     scheduler_start; the leader loop's phase timings (OnLeaderPhase);
//   - fires the leader did not run (OnSkipTotals, sampled from the
//     dispatcher's and scheduler's counters): fires_skipped by reason;
//   - gossip member events (node/member_events.h): events_received by
//     event, and gossip_members by state recounted from the member list.
//
// Thread safety: OnEvents/OnApplied on the raft loop thread (the per-job
// series set is touched there only); the other hooks on their owners'
// threads (each hook from one thread); the leading flag is atomic and the
// handles are safe for concurrent use.
#ifndef CKRON_NODE_CLUSTER_METRICS_H_
#define CKRON_NODE_CLUSTER_METRICS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "membership/membership.h"
#include "metrics/metrics.h"
#include "node/leader_loop.h"
#include "replica/replicated_state.h"

namespace ckron::node {

struct ClusterMetricsOptions {
  // `metrics-job-series-limit`: jobs with their own job_name series in the
  // per-job counters; executions of further jobs are counted under
  // job_name="_other". Bounds the registry (and /metrics) at a million
  // jobs; 0 = no limit.
  std::size_t job_series_limit = 10'000;
};

// Running totals of fires not run, by reason (the dispatcher's and the
// scheduler's counters, which restart from 0 when a new term starts).
struct SkipTotals {
  std::uint64_t paused = 0;
  std::uint64_t disabled = 0;
  std::uint64_t forbid = 0;
  std::uint64_t no_targets = 0;
  std::uint64_t misfire = 0;
};

class ClusterMetrics final : public replica::EventSink, public LeadershipObserver {
 public:
  // `metrics` must outlive this object.
  explicit ClusterMetrics(metrics::Metrics* metrics, ClusterMetricsOptions options = {});

  // replica::EventSink
  void OnEvents(LogIndex index, const std::vector<fsm::Event>& events) override;
  void OnRestored(LogIndex index) override;
  void OnApplied(const raft::ApplyContext& context, absl::Time proposed) override;

  // LeadershipObserver
  void EstablishLeadership(Term term) override;
  void RevokeLeadership(Term term) override;

  // A leader-loop phase took `took` (LeaderLoopOptions::on_phase):
  // "established" (election won -> leader-only work running) feeds
  // leader_establish; the others (barrier, establish_leadership,
  // reconcile, revoke_leadership) leader_phase{phase}.
  void OnLeaderPhase(std::string_view phase, absl::Duration took);

  // The skip counters' current values; the increase since the last call is
  // added to fires_skipped{reason}. A total that went down restarted (a new
  // term): all of it is new.
  void OnSkipTotals(const SkipTotals& totals);

  // A gossip event; `members` is the membership it came from.
  void OnMemberEvent(const membership::MemberEvent& event,
                     const std::vector<membership::MemberInfo>& members);

  // Jobs with their own per-job series (for tests).
  std::size_t job_series() const { return job_series_.size(); }

 private:
  // The job_name label for `job` (raft loop thread).
  const std::string& JobLabel(const std::string& job);

  metrics::Metrics* const m_;
  const ClusterMetricsOptions options_;
  const metrics::Counter fires_scheduled_;
  const metrics::Counter fires_manual_;
  const metrics::Counter executions_success_;
  const metrics::Counter executions_failed_;
  std::atomic<bool> leading_{false};
  std::unordered_set<std::string> job_series_;  // raft loop thread only
  SkipTotals last_skips_;                       // OnSkipTotals's thread only
};

}  // namespace ckron::node

#endif  // CKRON_NODE_CLUSTER_METRICS_H_
