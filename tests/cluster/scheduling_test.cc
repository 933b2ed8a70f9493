// Scheduling and execution end to end, with real `ckron agent` processes on
// 127.0.0.1: three servers and two plain agents tagged kind=worker. Jobs are
// written through a server's Cluster service; the leader's scheduler fires
// them, the dispatcher sends them to the tagged agents, the agents run the
// real shell executor and report back; the test reads the executions each
// server has applied (Cluster.ListExecutions).
//
// The cluster is started once for the suite (formation takes seconds); each
// test uses its own job names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>

#include "agent_cluster.h"

namespace ckron::testing {
namespace {

using ::testing::HasSubstr;

class Scheduling : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cluster_ = new AgentCluster("ckron-sched");
    Status s = cluster_->StartServers(3);
    for (int k = 0; s.ok() && k < 2; ++k) {
      const int i = cluster_->Add({.server = false, .extra_args = {"--tag", "kind=worker"}});
      s = cluster_->Start(i, {cluster_->gossip_addr(0)});
    }
    start_status_ = new Status(s);
    // Every server sees both workers alive before the tests fire jobs at them.
    if (s.ok()) {
      for (int i = 0; i < 3; ++i) {
        if (!Eventually([&] {
              return cluster_->MemberStatus(i, "n3") == "alive" &&
                     cluster_->MemberStatus(i, "n4") == "alive";
            })) {
          *start_status_ = Status::Unavailable("workers not seen alive by n" + std::to_string(i));
        }
      }
    }
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete start_status_;
  }
  void SetUp() override {
    ASSERT_TRUE(start_status_->ok()) << start_status_->ToString() << cluster_->Describe();
  }

  static fsm::Job ShellJob(const std::string& name, const std::string& command,
                           const std::string& schedule = "@every 1s") {
    fsm::Job job;
    job.name = name;
    job.schedule = schedule;
    job.executor = "shell";
    job.executor_config = {{"command", command}, {"shell", "true"}};
    job.tags = {{"kind", "worker"}};
    return job;
  }

  // The executions of `job` once `done` holds for them (read from server 0,
  // then any other on failure).
  static std::vector<fsm::Execution> WaitExecutions(
      const std::string& job, const std::function<bool(const std::vector<fsm::Execution>&)>& done,
      milliseconds timeout = 60s) {
    std::vector<fsm::Execution> last;
    const bool ok = Eventually(
        [&] {
          for (int i = 0; i < 3; ++i) {
            auto r = cluster_->Executions(i, job, /*with_output=*/true);
            if (r.ok()) {
              last = *r;
              return done(last);
            }
          }
          return false;
        },
        timeout);
    if (!ok)
      ADD_FAILURE() << "executions of " << job << " never got there:\n"
                    << Dump(last) << cluster_->Describe();
    return last;
  }

  static std::string Dump(const std::vector<fsm::Execution>& es) {
    std::string out;
    for (const auto& e : es) {
      out += e.id + " node=" + e.node_name + " group=" + std::to_string(e.group) +
             " attempt=" + std::to_string(e.attempt) + (e.running() ? " running" : "") +
             (e.success ? " ok" : " failed") + " output=" + e.output.substr(0, 80) + "\n";
    }
    return out;
  }

  static AgentCluster* cluster_;
  static Status* start_status_;
};

AgentCluster* Scheduling::cluster_ = nullptr;
Status* Scheduling::start_status_ = nullptr;

// Finished executions grouped by trigger.
std::map<std::int64_t, std::vector<fsm::Execution>> FinishedByGroup(
    const std::vector<fsm::Execution>& es) {
  std::map<std::int64_t, std::vector<fsm::Execution>> g;
  for (const auto& e : es) {
    if (!e.running()) g[e.group].push_back(e);
  }
  return g;
}

TEST_F(Scheduling, EveryFireRunsOnEachTaggedAgentOnceAndReportsItsOutput) {
  ASSERT_TRUE(cluster_->PutJob(1, ShellJob("tagged-all", "echo hello from $ENV_JOB_NAME")).ok());
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
      auto r = cluster_->Executions(i, "tagged-all");
      return r.ok() && r->size() >= es.size();
    }));
  }
}

TEST_F(Scheduling, ACountInTheTagPicksThatManyAgentsPerFire) {
  fsm::Job job = ShellJob("tagged-one", "true");
  job.tags = {{"kind", "worker:1"}};
  ASSERT_TRUE(cluster_->PutJob(0, job).ok());
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
  ASSERT_TRUE(cluster_->PutJob(2, job).ok());
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
  auto stored = cluster_->GetJob(0, "retried");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->status, "failed");
  EXPECT_EQ(stored->error_count, 3);
}

TEST_F(Scheduling, ForbidNeverOverlapsRunsOfOneJob) {
  fsm::Job job = ShellJob("forbidden", "sleep 2.5");
  job.tags = {{"kind", "worker:1"}};
  job.concurrency = "forbid";
  ASSERT_TRUE(cluster_->PutJob(0, job).ok());
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
  ASSERT_TRUE(cluster_->PutJob(0, parent).ok());
  fsm::Job child = ShellJob("child-job", "echo child", "");
  child.parent_job = "parent-job";
  child.tags = {{"kind", "worker:1"}};
  ASSERT_TRUE(cluster_->PutJob(0, child).ok());
  const auto es =
      WaitExecutions("child-job", [](const auto& es) { return FinishedByGroup(es).size() >= 2; });
  ASSERT_GE(FinishedByGroup(es).size(), 2u) << Dump(es);
  auto parents = cluster_->Executions(0, "parent-job");
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
  ASSERT_TRUE(cluster_->PutJob(0, job).ok());
  const auto es = WaitExecutions(
      "timed-out", [](const auto& es) { return !es.empty() && !es.back().running(); });
  ASSERT_EQ(es.size(), 1u) << Dump(es);
  EXPECT_FALSE(es[0].success);
  EXPECT_THAT(es[0].output, HasSubstr("started")) << cluster_->Describe();
  EXPECT_LT(*es[0].finished_at - es[0].started_at, absl::Seconds(30)) << Dump(es);
}

}  // namespace
}  // namespace ckron::testing
