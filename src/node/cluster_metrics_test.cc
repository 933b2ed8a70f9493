#include "node/cluster_metrics.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ckron::node
