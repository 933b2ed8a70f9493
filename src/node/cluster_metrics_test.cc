#include "node/cluster_metrics.h"

#include <gtest/gtest.h>

#include "absl/time/clock.h"

namespace ckron::node {
namespace {

bool Has(const metrics::Metrics& m, const std::string& line) {
  return m.RenderText().find(line) != std::string::npos;
}

TEST(ClusterMetrics, FiresAndExecutionsCountedByTheLeaderOnly) {
  metrics::Metrics m;
  ClusterMetrics cm(&m);
  const std::vector<fsm::Event> events = {
      fsm::FireRecorded{.job_name = "a", .manual = false},
      fsm::FireRecorded{.job_name = "a", .manual = true},
      fsm::ExecutionFinishedEvent{.job_name = "a", .success = true},
      fsm::ExecutionFinishedEvent{.job_name = "b", .success = false},
  };
  cm.OnEvents(LogIndex(1), events);  // a follower
  EXPECT_TRUE(Has(m, "ckron_fires_total{kind=\"scheduled\"} 0")) << m.RenderText();
  EXPECT_TRUE(Has(m, "ckron_executions_total{result=\"success\"} 0"));
  // Dkron's per-job counters on every server.
  EXPECT_TRUE(Has(m, "dkron_job_executions_succeeded_total{job_name=\"a\"} 1")) << m.RenderText();
  EXPECT_TRUE(Has(m, "dkron_job_executions_failed_total{job_name=\"b\"} 1"));

  cm.EstablishLeadership(Term(2));
  EXPECT_TRUE(Has(m, "ckron_raft_leader 1"));
  EXPECT_TRUE(Has(m, "dkron_scheduler_start 1"));
  cm.OnEvents(LogIndex(2), events);
  EXPECT_TRUE(Has(m, "ckron_fires_total{kind=\"scheduled\"} 1")) << m.RenderText();
  EXPECT_TRUE(Has(m, "ckron_fires_total{kind=\"manual\"} 1"));
  EXPECT_TRUE(Has(m, "ckron_executions_total{result=\"failed\"} 1"));
  EXPECT_TRUE(Has(m, "ckron_job_executions_succeeded_total{job_name=\"a\"} 2"));
  cm.RevokeLeadership(Term(2));
  EXPECT_TRUE(Has(m, "ckron_raft_leader 0"));
}

TEST(ClusterMetrics, GossipMembersByStateAndEvents) {
  metrics::Metrics m;
  ClusterMetrics cm(&m);
  std::vector<membership::MemberInfo> members(3);
  members[0].status = membership::MemberState::kAlive;
  members[1].status = membership::MemberState::kAlive;
  members[2].status = membership::MemberState::kFailed;
  cm.OnMemberEvent({.type = membership::MemberEvent::Type::kFail}, members);
  EXPECT_TRUE(Has(m, "ckron_gossip_members{state=\"alive\"} 2")) << m.RenderText();
  EXPECT_TRUE(Has(m, "ckron_gossip_members{state=\"failed\"} 1"));
  EXPECT_TRUE(Has(m, "ckron_gossip_members{state=\"left\"} 0"));
  EXPECT_TRUE(Has(m, "dkron_agent_event_received{event=\"member-failed\"} 1")) << m.RenderText();
}

TEST(ClusterMetrics, JobSeriesBeyondTheLimitAreFoldedIntoOther) {
  metrics::Metrics m;
  ClusterMetrics cm(&m, {.job_series_limit = 2});
  auto finished = [&](const std::string& job, bool success) {
    cm.OnEvents(LogIndex(1), {fsm::ExecutionFinishedEvent{.job_name = job, .success = success}});
  };
  finished("a", true);
  finished("b", false);
  finished("c", true);  // over the limit
  finished("d", false);
  finished("a", true);  // still its own
  EXPECT_EQ(cm.job_series(), 2u);
  EXPECT_TRUE(Has(m, "ckron_job_executions_succeeded_total{job_name=\"a\"} 2")) << m.RenderText();
  EXPECT_TRUE(Has(m, "ckron_job_executions_failed_total{job_name=\"b\"} 1"));
  EXPECT_TRUE(Has(m, "ckron_job_executions_succeeded_total{job_name=\"_other\"} 1"));
  EXPECT_TRUE(Has(m, "dkron_job_executions_failed_total{job_name=\"_other\"} 1"));
  EXPECT_FALSE(Has(m, "job_name=\"c\""));
  EXPECT_FALSE(Has(m, "job_name=\"d\""));
}

TEST(ClusterMetrics, ZeroJobSeriesLimitMeansNoLimit) {
  metrics::Metrics m;
  ClusterMetrics cm(&m, {.job_series_limit = 0});
  for (int i = 0; i < 50; ++i) {
    cm.OnEvents(LogIndex(1), {fsm::ExecutionFinishedEvent{.job_name = "j" + std::to_string(i),
                                                          .success = true}});
  }
  EXPECT_EQ(cm.job_series(), 50u);
  EXPECT_FALSE(Has(m, "_other"));
}

TEST(ClusterMetrics, RaftCommitIsTimedOnTheLeaderOnly) {
  metrics::Metrics m;
  ClusterMetrics cm(&m);
  const raft::ApplyContext ctx{.index = LogIndex(1), .term = Term(1), .position = 0, .count = 1};
  cm.OnApplied(ctx, absl::Now() - absl::Milliseconds(3));
  EXPECT_TRUE(Has(m, "ckron_raft_commit_seconds_count 0")) << m.RenderText();
  cm.EstablishLeadership(Term(1));
  cm.OnApplied(ctx, absl::Now() - absl::Milliseconds(3));
  cm.OnApplied(ctx, absl::Now() + absl::Seconds(5));  // a skewed stamp counts as 0
  EXPECT_TRUE(Has(m, "ckron_raft_commit_seconds_count 2")) << m.RenderText();
  EXPECT_TRUE(Has(m, "ckron_raft_commit_seconds_bucket{le=\"0.0005\"} 1")) << m.RenderText();
}

TEST(ClusterMetrics, LeaderPhasesAndEstablishTime) {
  metrics::Metrics m;
  ClusterMetrics cm(&m);
  cm.OnLeaderPhase("barrier", absl::Milliseconds(2));
  cm.OnLeaderPhase("established", absl::Milliseconds(4));
  EXPECT_TRUE(Has(m, "ckron_leader_establish_seconds_count 1")) << m.RenderText();
  EXPECT_TRUE(Has(m, "ckron_leader_seconds_count{phase=\"barrier\"} 1")) << m.RenderText();
  EXPECT_TRUE(Has(m, "dkron_dkron_leader_seconds_count{phase=\"barrier\"} 1"));
}

TEST(ClusterMetrics, SkipTotalsAddTheirIncreaseAndSurviveARestart) {
  metrics::Metrics m;
  ClusterMetrics cm(&m);
  EXPECT_TRUE(Has(m, "ckron_fires_skipped_total{reason=\"misfire\"} 0")) << m.RenderText();
  cm.OnSkipTotals({.paused = 2, .forbid = 1, .misfire = 5});
  cm.OnSkipTotals({.paused = 3, .forbid = 1, .no_targets = 1, .misfire = 2});  // a new term
  EXPECT_TRUE(Has(m, "ckron_fires_skipped_total{reason=\"paused\"} 3")) << m.RenderText();
  EXPECT_TRUE(Has(m, "ckron_fires_skipped_total{reason=\"forbid\"} 1"));
  EXPECT_TRUE(Has(m, "ckron_fires_skipped_total{reason=\"no_targets\"} 1"));
  EXPECT_TRUE(Has(m, "ckron_fires_skipped_total{reason=\"misfire\"} 7"));
  EXPECT_TRUE(Has(m, "ckron_fires_skipped_total{reason=\"disabled\"} 0"));
}

}  // namespace
}  // namespace ckron::node
