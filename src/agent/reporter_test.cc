// The reporter against fake Executions servers on real gRPC (127.0.0.1).
#include "agent/reporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "agent/testing/fake_executions.h"
#include "rpc/executions_client.h"
#include "rpc/server.h"

namespace ckron::agent {
namespace {

using ::testing::UnorderedElementsAre;

fsm::Execution Finished(const std::string& id) {
  return {.id = id,
          .job_name = "job-1",
          .started_at = absl::FromUnixSeconds(100),
          .finished_at = absl::FromUnixSeconds(101),
          .success = true,
          .output = "out of " + id,
          .node_name = "node-a",
          .group = 100,
          .attempt = 1};
}

// One fake server on its own gRPC port.
struct FakeServer {
  FakeServer() {
    auto s = rpc::RpcServer::Start({.address = "127.0.0.1:0"}, {&service});
    CKRON_CHECK(s.ok());
    server = std::move(*s);
  }
  std::string address() const { return server->address(); }
  std::vector<std::string> AckedIds() {
    std::vector<std::string> ids;
    for (const auto& e : service.AckedSnapshot()) ids.push_back(e.id());
    return ids;
  }

  testing::FakeExecutions service;
  std::unique_ptr<rpc::RpcServer> server;
};

ReporterOptions Fast() {
  return {.node_name = "node-a",
          .lease = absl::Milliseconds(300),
          .renew_retry = absl::Milliseconds(20),
          .initial_backoff = absl::Milliseconds(5),
          .max_backoff = absl::Milliseconds(50),
          .call_timeout = absl::Seconds(10)};
}

RunningLister NoneRunning() {
  return [] { return std::vector<rpc::LeaseRef>{}; };
}

ServerLister Servers(std::vector<ServerAddress> servers) {
  return [servers] { return servers; };
}

TEST(Reporter, Report_FailuresAreRetriedUntilAcked_ThenAckedOnce) {
  FakeServer a;
  a.service.FailReports(3, Status::Unavailable("raft is electing"));
  rpc::ExecutionsClient client;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), Fast());
  reporter.Start();
  reporter.Deliver(Finished("e1"));
  ASSERT_TRUE(a.service.WaitFor([&] { return a.service.acked().size() == 1; }));
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(a.AckedIds(), std::vector<std::string>{"e1"});
  EXPECT_EQ(a.service.Attempts(), 4);
  const auto acked = a.service.AckedSnapshot();
  EXPECT_EQ(acked[0].output(), "out of e1");
  EXPECT_EQ(acked[0].finished_at_ns(), 101'000'000'000);
  const ReporterStats stats = reporter.stats();
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.acknowledged, 1u);
  EXPECT_EQ(stats.attempts, 4u);
  EXPECT_EQ(stats.pending, 0u);
}

TEST(Reporter, Report_NotLeaderWithRaftAddressHint_GoesToTheLeader) {
  FakeServer follower, leader;
  follower.service.FailReports(-1, Status::NotLeader("10.0.0.2:8190", "not the raft leader"));
  rpc::ExecutionsClient client;
  Reporter reporter(&client,
                    Servers({{.rpc_addr = follower.address(), .raft_addr = "10.0.0.1:8190"},
                             {.rpc_addr = leader.address(), .raft_addr = "10.0.0.2:8190"}}),
                    NoneRunning(), Fast());
  reporter.Start();
  reporter.Deliver(Finished("e1"));
  reporter.Deliver(Finished("e2"));
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(leader.AckedIds(), (std::vector<std::string>{"e1", "e2"}));
  // Only the first report went to the follower: then the reporter stuck to
  // the leader.
  EXPECT_EQ(follower.service.Attempts(), 1);
}

TEST(Reporter, Report_UnreachableServer_RotatesToTheNext) {
  FakeServer a;
  rpc::ExecutionsClient client;
  // Port 1 on loopback: connection refused.
  Reporter reporter(&client, Servers({{.rpc_addr = "127.0.0.1:1"}, {.rpc_addr = a.address()}}),
                    NoneRunning(), Fast());
  reporter.Start();
  reporter.Deliver(Finished("e1"));
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(a.AckedIds(), std::vector<std::string>{"e1"});
}

TEST(Reporter, Report_FinalRefusal_IsDroppedNotRetried) {
  FakeServer a;
  a.service.FailReports(1, Status::NotFound("job job-1 was deleted"));
  rpc::ExecutionsClient client;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), Fast());
  reporter.Start();
  reporter.Deliver(Finished("e1"));
  reporter.Deliver(Finished("e2"));
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(a.AckedIds(), std::vector<std::string>{"e2"});
  EXPECT_EQ(a.service.Attempts(), 2);
  EXPECT_EQ(reporter.stats().rejected, 1u);
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// One per call until a server acknowledges, then the queued reports in
// batches: each call waits for a commit, so a batch is what lets results
// commit together.
TEST(Reporter, Report_AfterAnAck_SendsTheQueueInBatches_EachAckedOnce) {
  FakeServer a;
  rpc::ExecutionsClient client;
  ReporterOptions options = Fast();
  options.max_batch = 16;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), options);
  reporter.Start();
  reporter.Deliver(Finished("e0"));
  ASSERT_TRUE(a.service.WaitFor([&] { return a.service.acked().size() == 1; }));
  a.service.DelayReports(std::chrono::milliseconds(20));
  std::vector<std::string> ids = {"e0"};
  for (int i = 1; i <= 64; ++i) {
    ids.push_back("e" + std::to_string(i));
    reporter.Deliver(Finished(ids.back()));
  }
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(Sorted(a.AckedIds()), Sorted(ids));
  const std::vector<int> sizes = a.service.BatchSizes();
  EXPECT_EQ(sizes.front(), 1);
  EXPECT_GT(*std::max_element(sizes.begin(), sizes.end()), 1);
  EXPECT_LE(*std::max_element(sizes.begin(), sizes.end()), 16);
  EXPECT_LT(sizes.size(), 65u);
  EXPECT_EQ(a.service.MaxConcurrentReports(), 1);  // one call at a time
  EXPECT_EQ(a.service.ReportCalls(), 0);           // no single reports
  EXPECT_EQ(reporter.stats().attempts, 65u);
}

// A result that fails inside a batch is retried alone; the others of its
// batch are not sent again.
TEST(Reporter, Report_OneFailureInABatch_RetriesOnlyThatOne) {
  FakeServer a;
  rpc::ExecutionsClient client;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), Fast());
  reporter.Start();
  reporter.Deliver(Finished("e0"));
  ASSERT_TRUE(a.service.WaitFor([&] { return a.service.acked().size() == 1; }));
  a.service.DelayReports(std::chrono::milliseconds(20));
  std::vector<std::string> ids = {"e0"};
  for (int i = 1; i <= 8; ++i) ids.push_back("e" + std::to_string(i));
  // The next result the server sees fails once.
  a.service.FailReports(1, Status::Unavailable("raft is electing"));
  for (std::size_t i = 1; i < ids.size(); ++i) reporter.Deliver(Finished(ids[i]));
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(Sorted(a.AckedIds()), Sorted(ids));
  EXPECT_EQ(a.service.Attempts(), 10);  // 9 results, one of them twice
}

// Batches are bounded by the bytes of output they carry, not only by
// count; a result larger than the bound still goes, alone.
TEST(Reporter, Report_LargeOutputs_SplitIntoBatchesUnderTheByteBound) {
  FakeServer a;
  rpc::ExecutionsClient client;
  ReporterOptions options = Fast();
  options.max_batch_bytes = 100'000;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), options);
  reporter.Deliver(Finished("e0"));
  reporter.Start();
  ASSERT_TRUE(a.service.WaitFor([&] { return a.service.acked().size() == 1; }));
  a.service.DelayReports(std::chrono::milliseconds(20));
  std::vector<std::string> ids = {"e0"};
  for (int i = 1; i <= 6; ++i) {
    fsm::Execution e = Finished("e" + std::to_string(i));
    e.output.assign(i == 6 ? 150'000 : 40'000, 'x');
    ids.push_back(e.id);
    reporter.Deliver(std::move(e));
  }
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(Sorted(a.AckedIds()), Sorted(ids));
  for (int size : a.service.BatchSizes()) EXPECT_LE(size, 2);
}

// An older server (no ReportMany) gets one Report per result, and every
// result still arrives once.
TEST(Reporter, Report_ServerWithoutReportMany_FallsBackToReport) {
  FakeServer a;
  a.service.ServeReportMany(false);
  rpc::ExecutionsClient client;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), Fast());
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back("e" + std::to_string(i));
    reporter.Deliver(Finished(ids.back()));
  }
  reporter.Start();
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(Sorted(a.AckedIds()), Sorted(ids));
  EXPECT_EQ(a.service.ReportCalls(), 10);
  EXPECT_TRUE(a.service.BatchSizes().empty());
}

TEST(Reporter, RenewLeases_ListsRunningAndUnacknowledgedExecutions) {
  FakeServer a;
  a.service.FailReports(-1, Status::Unavailable("no quorum"));
  rpc::ExecutionsClient client;
  Reporter reporter(
      &client, Servers({{.rpc_addr = a.address()}}),
      [] {
        return std::vector<rpc::LeaseRef>{{.job_name = "job-1", .execution_id = "r1"},
                                          {.job_name = "job-2", .execution_id = "r2"}};
      },
      Fast());
  reporter.Deliver(Finished("e1"));
  reporter.Start();
  ASSERT_TRUE(a.service.WaitFor([&] { return !a.service.renewals().empty(); }));
  const auto renewals = a.service.RenewalsSnapshot();
  EXPECT_EQ(renewals[0].node_name, "node-a");
  EXPECT_THAT(renewals[0].ids, UnorderedElementsAre("r1", "r2", "e1"));
  EXPECT_FALSE(reporter.Flush(absl::Milliseconds(100)).ok());  // e1 never acked
}

TEST(Reporter, RenewLeases_NothingRunning_SendsNothing) {
  FakeServer a;
  rpc::ExecutionsClient client;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), Fast());
  reporter.Start();
  absl::SleepFor(absl::Milliseconds(250));  // over two renewal periods (100 ms)
  reporter.Deliver(Finished("e1"));
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(a.AckedIds(), std::vector<std::string>{"e1"});
  EXPECT_TRUE(a.service.RenewalsSnapshot().empty());
}

TEST(Reporter, Deliver_AtTheBound_DropsTheOldest) {
  FakeServer a;
  rpc::ExecutionsClient client;
  ReporterOptions options = Fast();
  options.max_pending = 2;
  Reporter reporter(&client, Servers({{.rpc_addr = a.address()}}), NoneRunning(), options);
  reporter.Deliver(Finished("e1"));
  reporter.Deliver(Finished("e2"));
  reporter.Deliver(Finished("e3"));
  EXPECT_EQ(reporter.stats().overflowed, 1u);
  reporter.Start();
  ASSERT_TRUE(reporter.Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(a.AckedIds(), (std::vector<std::string>{"e2", "e3"}));
}

TEST(Reporter, Flush_NoServerKnown_TimesOutAndSaysHowMany) {
  rpc::ExecutionsClient client;
  Reporter reporter(&client, Servers({}), NoneRunning(), Fast());
  reporter.Start();
  reporter.Deliver(Finished("e1"));
  const Status s = reporter.Flush(absl::Milliseconds(200));
  EXPECT_EQ(s.code(), StatusCode::kTimeout);
  EXPECT_EQ(reporter.stats().pending, 1u);
}

}  // namespace
}  // namespace ckron::agent
