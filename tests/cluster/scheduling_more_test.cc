// More scheduling and execution end to end, with real `ckron agent`
// processes on 127.0.0.1 (three servers and two plain agents tagged
// kind=worker, as in scheduling_test.cc): the `replace` concurrency policy,
// ephemeral jobs, the shell executor's mem_limit and su, the http executor
// against a real server in this process, and the servers' admission of job
// writes. Every assertion is on the executions (or jobs) the servers applied.
//
// The cluster (scheduling_cluster.h) is shared by every test of the binary;
// each test uses its own job names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "executor/testing/http_server.h"
#include "scheduling_cluster.h"

namespace ckron::testing {
namespace {

using ::testing::HasSubstr;

class SchedulingMore : public SchedulingTest {
 protected:
  // A shell job (shell syntax) on one of the workers, fired once soon.
  static fsm::Job ShellJob(const std::string& name, const std::string& command) {
    fsm::Job job = SchedulingTest::ShellJob(name, command, AtSoon());
    job.tags = {{"kind", "worker:1"}};
    return job;
  }

  std::vector<fsm::Execution> RunReplaced(const std::string& name);
};

// The most executions of `es` whose [started_at, finished_at) intervals
// overlap at one instant (a running one extends to the end of time).
int MaxOverlap(const std::vector<fsm::Execution>& es) {
  std::vector<std::pair<absl::Time, int>> edges;
  for (const auto& e : es) {
    edges.emplace_back(e.started_at, +1);
    edges.emplace_back(e.running() ? absl::InfiniteFuture() : *e.finished_at, -1);
  }
  // At equal instants an end comes before a start: touching is not overlap.
  std::sort(edges.begin(), edges.end());
  int now = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, now += d);
  return most;
}

bool Cancelled(const fsm::Execution& e) {
  return !e.running() && e.output.find("was cancelled") != std::string::npos;
}

// Runs a `replace` job that never finishes on its own (sleep 30, fired every
// 3 s on one worker) until three of its executions were cancelled, then
// disables it; its executions at that point.
std::vector<fsm::Execution> SchedulingMore::RunReplaced(const std::string& name) {
  fsm::Job job = ShellJob(name, "echo started; sleep 30");
  job.schedule = "@every 3s";
  job.concurrency = "replace";
  if (Status s = PutJob(0, job); !s.ok()) {
    ADD_FAILURE() << s.ToString();
    return {};
  }
  auto es = WaitExecutions(
      name, [](const auto& es) { return std::count_if(es.begin(), es.end(), Cancelled) >= 3; });
  // Stop firing (the job would keep being replaced).
  job.disabled = true;
  EXPECT_TRUE(PutJob(0, job).ok());
  return es;
}

TEST_F(SchedulingMore, ReplaceCancelsTheRunningExecutionWhenTheNextFireComes) {
  const auto es = RunReplaced("replaced");
  ASSERT_GE(std::count_if(es.begin(), es.end(), Cancelled), 3) << Dump(es);
  std::set<std::int64_t> groups;
  for (const auto& e : es) {
    EXPECT_TRUE(groups.insert(e.group).second) << "two runs of one fire\n" << Dump(es);
    if (e.running()) continue;  // its output is not listed yet
    EXPECT_THAT(e.output, HasSubstr("started")) << Dump(es);
    // Nothing finishes on its own (sleep 30 outlives the fire interval):
    // each finished execution was cancelled by a later fire, and failed.
    EXPECT_FALSE(e.success) << Dump(es);
    EXPECT_TRUE(Cancelled(e)) << Dump(es);
  }
  // The last cancelled one was replaced by a later fire, whose run starts
  // once the cancelled one is recorded finished.
  std::int64_t last_cancelled = 0;
  for (const auto& e : es) {
    if (Cancelled(e)) last_cancelled = std::max(last_cancelled, e.group);
  }
  const auto later = WaitExecutions("replaced", [&](const auto& all) {
    return std::any_of(all.begin(), all.end(),
                       [&](const auto& e) { return e.group > last_cancelled; });
  });
  EXPECT_TRUE(std::any_of(later.begin(), later.end(), [&](const auto& e) {
    return e.group > last_cancelled;
  })) << Dump(later);
  // Replaced runs do not pile up (strictly: ReplaceNeverRunsTwoExecutionsAtOnce).
  EXPECT_LE(MaxOverlap(es), 1) << "replaced executions kept running\n" << Dump(es);
}

// The dispatcher cancels the running execution (AgentRunner.Cancel returns
// before the process is gone) and holds the new run until the cancelled one
// is recorded finished: the two never overlap.
TEST_F(SchedulingMore, ReplaceNeverRunsTwoExecutionsAtOnce) {
  const auto es = RunReplaced("replaced-strict");
  ASSERT_GE(std::count_if(es.begin(), es.end(), Cancelled), 3) << Dump(es);
  EXPECT_LE(MaxOverlap(es), 1) << "two executions ran at once\n" << Dump(es);
}

TEST_F(SchedulingMore, AnEphemeralJobIsDeletedAfterItsSuccessfulRun) {
  raft::testing::TempDir dir("ckron-ephemeral");
  const std::filesystem::path marker = dir.path() / "ran";
  fsm::Job job = ShellJob("ephemeral-once", "echo ran > " + marker.string());
  job.ephemeral = true;
  ASSERT_TRUE(PutJob(1, job).ok());
  EXPECT_TRUE(Eventually([&] { return std::filesystem::exists(marker); }, 60s))
      << "the job never ran\n"
      << cluster().Describe();
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Eventually(
        [&] {
          auto r = cluster().GetJob(i, "ephemeral-once");
          return !r.ok() && r.status().code() == StatusCode::kNotFound;
        },
        60s))
        << "n" << i << " still has the job\n"
        << cluster().Describe();
  }
}

TEST_F(SchedulingMore, AShellRunAboveMemLimitIsKilledAndFails) {
  // dash holds the 100 MB it read into `a` while it sleeps.
  fsm::Job job = ShellJob("mem-hog",
                          "echo started; a=$(head -c 100000000 /dev/zero | tr '\\0' x); "
                          "sleep 30; echo ${#a}");
  job.executor_config["mem_limit"] = "20971520";
  ASSERT_TRUE(PutJob(0, job).ok());
  const auto es = WaitOneFinished("mem-hog");
  ASSERT_EQ(es.size(), 1u) << Dump(es);
  EXPECT_FALSE(es[0].success) << Dump(es);
  EXPECT_THAT(es[0].output, HasSubstr("exceeding defined limit (20971520 bytes)")) << Dump(es);
  EXPECT_THAT(es[0].output, HasSubstr("Job was killed")) << Dump(es);
  // Killed before its last echo.
  EXPECT_THAT(es[0].output, ::testing::Not(HasSubstr("\n100000000"))) << Dump(es);
}

TEST_F(SchedulingMore, SuRunsTheCommandAsThatUser) {
  fsm::Job job = ShellJob("as-nobody", "id -un");
  job.executor_config["su"] = "nobody";
  ASSERT_TRUE(PutJob(2, job).ok());
  const auto es = WaitOneFinished("as-nobody");
  ASSERT_EQ(es.size(), 1u) << Dump(es);
  EXPECT_TRUE(es[0].success) << Dump(es);
  EXPECT_THAT(es[0].output, HasSubstr("nobody")) << Dump(es);
  EXPECT_THAT(es[0].output, ::testing::Not(HasSubstr("root"))) << Dump(es);
}

TEST_F(SchedulingMore, TheHttpExecutorChecksTheCodeAndBodyItExpects) {
  executor::testing::TestHttpServer server([](const executor::testing::TestRequest& request) {
    return executor::testing::TestResponse{.status = 200, .body = "pong from " + request.target};
  });
  fsm::Job good;
  good.name = "http-good";
  good.schedule = AtSoon();
  good.executor = "http";
  good.executor_config = {{"url", server.Url("/ping")},
                          {"method", "GET"},
                          {"expectCode", "200"},
                          {"expectBody", "pong from /ping"}};
  good.tags = {{"kind", "worker:1"}};
  fsm::Job bad = good;
  bad.name = "http-bad-code";
  bad.executor_config["url"] = server.Url("/other");
  bad.executor_config["expectCode"] = "201";
  bad.executor_config.erase("expectBody");
  ASSERT_TRUE(PutJob(0, good).ok());
  ASSERT_TRUE(PutJob(1, bad).ok());

  const auto ok = WaitOneFinished("http-good");
  ASSERT_EQ(ok.size(), 1u) << Dump(ok);
  EXPECT_TRUE(ok[0].success) << Dump(ok);
  EXPECT_THAT(ok[0].output, HasSubstr("pong from /ping")) << Dump(ok);

  const auto failed = WaitOneFinished("http-bad-code");
  ASSERT_EQ(failed.size(), 1u) << Dump(failed);
  EXPECT_FALSE(failed[0].success) << Dump(failed);
  EXPECT_THAT(failed[0].output,
              HasSubstr("received response code does not match the expected code"))
      << Dump(failed);

  std::set<std::string> targets;
  for (const auto& r : server.requests()) targets.insert(r.target);
  EXPECT_EQ(targets, (std::set<std::string>{"/ping", "/other"}));
}

TEST_F(SchedulingMore, EveryServerRefusesAJobWithABadShellTimeout) {
  fsm::Job job = ShellJob("bad-timeout", "true");
  job.executor_config["timeout"] = "banana";
  for (int i = 0; i < 3; ++i) {
    const Status s = PutJob(i, job);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "n" << i << ": " << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("executor_config.timeout")) << "n" << i;
  }
  for (int i = 0; i < 3; ++i) {
    auto r = cluster().GetJob(i, "bad-timeout");
    EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << "n" << i;
  }
}

}  // namespace
}  // namespace ckron::testing
