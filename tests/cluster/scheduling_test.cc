// Scheduling and execution end to end, with real `ckron agent` processes on
// 127.0.0.1: three servers and two plain agents tagged kind=worker. Jobs are
// written through a server's Cluster service; the leader's scheduler fires
// them, the dispatcher sends them to the tagged agents, the agents run the
// real shell executor and report back; the test reads the executions each
// server has applied (Cluster.ListExecutions).
//
// The cluster (scheduling_cluster.h) is shared by every test of the binary;
// each test uses its own job names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "scheduling_cluster.h"

namespace ckron::testing {
namespace {

using ::testing::HasSubstr;

// Scheduled every second on every kind=worker agent unless a test says
// otherwise.
class Scheduling : public SchedulingTest {};

TEST_F(Scheduling, EveryFireRunsOnEachTaggedAgentOnceAndReportsItsOutput) {
  ASSERT_TRUE(PutJob(1, ShellJob("tagged-all", "echo hello from $ENV_JOB_NAME")).ok());
  const auto es = WaitExecutions("tagged-all", [](const auto& es) {
    int complete = 0;
    for (const auto& [group, runs] : FinishedByGroup(es)) complete += runs.size() == 2;
    return complete >= 3;
  });
  const auto groups = FinishedByGroup(es);
  int complete = 0;
  for (const auto& [group, runs] : groups) {
    std::set<std::string> nodes;
    for (const auto& e : runs) {
      EXPECT_TRUE(e.success) << Dump(es);
      EXPECT_THAT(e.output, HasSubstr("hello from tagged-all"));
      EXPECT_EQ(e.attempt, 1u);
      EXPECT_TRUE(nodes.insert(e.node_name).second) << "ran twice on " << e.node_name << "\n"
                                                    << Dump(es);
    }
    for (const std::string& n : nodes) EXPECT_TRUE(n == "n3" || n == "n4") << Dump(es);
    complete += nodes.size() == 2;
  }
  EXPECT_GE(complete, 3) << Dump(es);
  // Every server applied the same executions.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Eventually([&] {
      auto r = cluster().Executions(i, "tagged-all");
      return r.ok() && r->size() >= es.size();
    }));
  }
}

TEST_F(Scheduling, ACountInTheTagPicksThatManyAgentsPerFire) {
  fsm::Job job = ShellJob("tagged-one", "true");
  job.tags = {{"kind", "worker:1"}};
  ASSERT_TRUE(PutJob(0, job).ok());
  const auto es =
      WaitExecutions("tagged-one", [](const auto& es) { return FinishedByGroup(es).size() >= 4; });
  const auto groups = FinishedByGroup(es);
  ASSERT_GE(groups.size(), 4u) << Dump(es);
  for (const auto& [group, runs] : groups) EXPECT_EQ(runs.size(), 1u) << Dump(es);
}

TEST_F(Scheduling, AFailedRunIsRetriedOnTheSameNodeUpToRetries) {
  fsm::Job job = ShellJob("retried", "echo failing; exit 3", "@every 1h");
  job.tags = {{"kind", "worker:1"}};
  job.retries = 2;
  job.retry_backoff = absl::Milliseconds(100);
  // @every 1h would first fire in an hour: start it with a one-off @at now.
  job.schedule = "@at " + absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Seconds(2),
                                           absl::UTCTimeZone());
  ASSERT_TRUE(PutJob(2, job).ok());
  const auto es = WaitExecutions("retried", [](const auto& es) {
    return std::count_if(es.begin(), es.end(), [](const auto& e) { return !e.running(); }) >= 3;
  });
  ASSERT_EQ(es.size(), 3u) << Dump(es);
  std::set<std::uint32_t> attempts;
  for (const auto& e : es) {
    EXPECT_FALSE(e.success);
    EXPECT_THAT(e.output, HasSubstr("exit status 3"));
    EXPECT_EQ(e.group, es[0].group);
    EXPECT_EQ(e.node_name, es[0].node_name);
    attempts.insert(e.attempt);
  }
  EXPECT_EQ(attempts, (std::set<std::uint32_t>{1, 2, 3})) << Dump(es);
  auto stored = cluster().GetJob(0, "retried");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->status, "failed");
  EXPECT_EQ(stored->error_count, 3);
}

TEST_F(Scheduling, ForbidNeverOverlapsRunsOfOneJob) {
  fsm::Job job = ShellJob("forbidden", "sleep 2.5");
  job.tags = {{"kind", "worker:1"}};
  job.concurrency = "forbid";
  ASSERT_TRUE(PutJob(0, job).ok());
  const auto es =
      WaitExecutions("forbidden", [](const auto& es) { return FinishedByGroup(es).size() >= 3; });
  std::vector<fsm::Execution> done;
  for (const auto& e : es) {
    if (!e.running()) done.push_back(e);
  }
  ASSERT_GE(done.size(), 3u) << Dump(es);
  std::sort(done.begin(), done.end(),
            [](const auto& a, const auto& b) { return a.started_at < b.started_at; });
  for (std::size_t k = 1; k < done.size(); ++k) {
    EXPECT_GE(done[k].started_at, *done[k - 1].finished_at) << Dump(es);
  }
}

TEST_F(Scheduling, AChildJobRunsAfterItsParentSucceeded) {
  fsm::Job parent = ShellJob("parent-job", "true", "@every 2s");
  parent.tags = {{"kind", "worker:1"}};
  ASSERT_TRUE(PutJob(0, parent).ok());
  fsm::Job child = ShellJob("child-job", "echo child", "");
  child.parent_job = "parent-job";
  child.tags = {{"kind", "worker:1"}};
  ASSERT_TRUE(PutJob(0, child).ok());
  const auto es =
      WaitExecutions("child-job", [](const auto& es) { return FinishedByGroup(es).size() >= 2; });
  ASSERT_GE(FinishedByGroup(es).size(), 2u) << Dump(es);
  auto parents = cluster().Executions(0, "parent-job");
  ASSERT_TRUE(parents.ok());
  std::set<std::int64_t> parent_groups;
  for (const auto& e : *parents) {
    if (e.success) parent_groups.insert(e.group);
  }
  for (const auto& e : es) {
    EXPECT_TRUE(parent_groups.contains(e.group)) << "child group " << e.group << "\n" << Dump(es);
    EXPECT_THAT(e.output, HasSubstr("child"));
  }
}

TEST_F(Scheduling, AShellTimeoutKillsTheRunAndFailsIt) {
  fsm::Job job = ShellJob("timed-out", "echo started; sleep 60", "@every 1h");
  job.schedule = "@at " + absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Seconds(2),
                                           absl::UTCTimeZone());
  job.tags = {{"kind", "worker:1"}};
  job.executor_config["timeout"] = "1s";
  ASSERT_TRUE(PutJob(0, job).ok());
  const auto es = WaitExecutions(
      "timed-out", [](const auto& es) { return !es.empty() && !es.back().running(); });
  ASSERT_EQ(es.size(), 1u) << Dump(es);
  EXPECT_FALSE(es[0].success);
  EXPECT_THAT(es[0].output, HasSubstr("started")) << cluster().Describe();
  EXPECT_LT(*es[0].finished_at - es[0].started_at, absl::Seconds(30)) << Dump(es);
}

}  // namespace
}  // namespace ckron::testing
