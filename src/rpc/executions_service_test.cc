// The Executions service of two in-process servers over real gRPC on
// 127.0.0.1: a follower forwards an agent's report to the leader, where the
// result hook (the job's processors) runs once and the result is committed;
// a repeated report is acknowledged without running the hook again; a
// forwarded report that reaches a server that does not lead is refused, not
// forwarded again; RenewLeases reaches the leader's state (through the
// Cluster service, as LeaderClient forwards every proposal). ReportMany does
// the same for a batch, with an answer per result, and a follower whose
// leader serves only Report makes the agent's client fall back to it.
#include "rpc/executions_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "fsm/codec.h"
#include "fsm/execution_store.h"
#include "rpc/cluster_service.h"
#include "rpc/executions_client.h"
#include "rpc/leader_client.h"
#include "rpc/server.h"
#include "rpc/testing/fakes.h"

namespace ckron::rpc {
namespace {

using testing::FakeDirectory;
using testing::FakeRaft;

const absl::Time kT0 = absl::FromUnixSeconds(1'767'225'600);

struct TestServer {
  explicit TestServer(RaftId id)
      : raft(id),
        state(&store),
        leader_client(&raft, &directory, &client),
        service(
            {.lease = absl::Seconds(30), .max_wait = absl::Seconds(5)}, &leader_client, &raft,
            &directory, &state,
            [this](const fsm::Job&, fsm::Execution e) {
              ++hook_calls;
              e.output += " [processed]";
              return e;
            },
            &SystemClock::Get()),
        cluster({.node_name = "n" + std::to_string(id.value())}, &leader_client, &raft, &state,
                &restores) {
    raft.ApplyTo(&state);
    // Cluster too: LeaderClient forwards RenewLeases through it.
    auto s = RpcServer::Start({.address = "127.0.0.1:0"}, {&service, &cluster});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server = std::move(*s);
  }
  std::string address() const { return server->address(); }

  // Applies a command straight to this server's state (as Raft would have).
  void Apply(fsm::Command command) {
    state.Apply({LogIndex(++index), Term(1), 0, 1},
                replica::EncodeCommand(kT0, std::move(command)));
  }
  std::optional<fsm::Execution> Stored(const std::string& job, const std::string& id) const {
    std::optional<fsm::Execution> out;
    state.Read([&](const fsm::State& s) { out = s.executions().Get(job, id); });
    return out;
  }

  FakeRaft raft;
  FakeDirectory directory;
  ClusterClient client;
  fsm::MemoryExecutionStore store;
  replica::ReplicatedState state;
  LeaderClient leader_client;
  std::atomic<int> hook_calls{0};
  std::uint64_t index = 1000;
  ExecutionsService service;
  RestoreCounter restores;
  ClusterService cluster;
  std::unique_ptr<RpcServer> server;
};

fsm::Job Job(const std::string& name) {
  fsm::Job j;
  j.name = name;
  j.schedule = "@every 1m";
  j.executor = "shell";
  j.executor_config = {{"command", "true"}};
  return j;
}

fsm::Execution Finished(const std::string& job, const std::string& node) {
  fsm::Execution e;
  e.job_name = job;
  e.group = absl::ToUnixNanos(kT0);
  e.id = fsm::RunExecutionId(e.group, 1, node);
  e.node_name = node;
  e.started_at = kT0;
  e.finished_at = kT0 + absl::Seconds(1);
  e.success = true;
  e.output = "hello";
  return e;
}

absl::Time Soon() {
  return absl::Now() + absl::Seconds(5);
}

// A follower that knows the leader, and the leader, both with the job.
struct Pair {
  Pair() : follower(RaftId(1)), leader(RaftId(2)) {
    leader.raft.Lead(true);
    follower.raft.SetLeader(raft::LeaderInfo{RaftId(2), "raft-addr-of-n2"});
    follower.directory.Add(RaftId(2), "n2", leader.address());
    follower.Apply(fsm::PutJob{Job("backup")});
    leader.Apply(fsm::PutJob{Job("backup")});
  }
  TestServer follower, leader;
};

// Two followers, each believing the other leads, both with the job: a
// forwarded report must not bounce between them.
struct Crossed {
  Crossed() : a(RaftId(1)), b(RaftId(2)) {
    a.raft.SetLeader(raft::LeaderInfo{RaftId(2), "b"});
    b.raft.SetLeader(raft::LeaderInfo{RaftId(1), "a"});
    a.directory.Add(RaftId(2), "n2", b.address());
    b.directory.Add(RaftId(1), "n1", a.address());
    a.Apply(fsm::PutJob{Job("backup")});
    b.Apply(fsm::PutJob{Job("backup")});
  }
  TestServer a, b;
};

TEST(ExecutionsService, AFollowerForwardsAReportToTheLeaderWhereProcessorsRunOnce) {
  Pair p;
  const fsm::Execution e = Finished("backup", "agent-1");
  ASSERT_TRUE(ExecutionsClient().Report(p.follower.address(), e, Soon()).ok());
  EXPECT_EQ(p.follower.hook_calls, 0);
  EXPECT_EQ(p.follower.raft.proposals(), 0);
  EXPECT_EQ(p.leader.hook_calls, 1);
  EXPECT_EQ(p.leader.raft.proposals(), 1);
  auto stored = p.leader.Stored("backup", e.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(stored->running());
  EXPECT_EQ(stored->output, "hello [processed]");

  // The agent did not hear the answer and reports again: acknowledged, and
  // the processors do not run a second time.
  ASSERT_TRUE(ExecutionsClient().Report(p.follower.address(), e, Soon()).ok());
  EXPECT_EQ(p.leader.hook_calls, 1);
  EXPECT_EQ(p.leader.raft.proposals(), 1);
}

TEST(ExecutionsService, AReportForADeletedJobIsRefusedAsNotFound) {
  Pair p;
  const Status s =
      ExecutionsClient().Report(p.follower.address(), Finished("gone", "agent-1"), Soon());
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_EQ(p.leader.hook_calls, 0);
}

TEST(ExecutionsService, AReportWithoutFinishedAtIsRefused) {
  Pair p;
  fsm::Execution e = Finished("backup", "agent-1");
  e.finished_at.reset();
  const Status s = ExecutionsClient().Report(p.leader.address(), e, Soon());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(p.leader.raft.proposals(), 0);
}

TEST(ExecutionsService, AForwardedReportIsNeverForwardedAgain) {
  Crossed c;
  TestServer &a = c.a, &b = c.b;
  const Status s = ExecutionsClient().Report(a.address(), Finished("backup", "agent-1"),
                                             absl::Now() + absl::Milliseconds(500));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(a.hook_calls + b.hook_calls, 0);
  EXPECT_EQ(a.raft.proposals() + b.raft.proposals(), 0);
}

std::vector<StatusCode> Codes(const std::vector<Status>& statuses) {
  std::vector<StatusCode> out;
  for (const Status& s : statuses) out.push_back(s.code());
  return out;
}

TEST(ExecutionsService, ReportManyThroughAFollowerAnswersEachResultAndProcessesEachOnce) {
  Pair p;
  const fsm::Execution a = Finished("backup", "agent-1"), b = Finished("backup", "agent-2");
  fsm::Execution no_end = Finished("backup", "agent-3");
  no_end.finished_at.reset();
  const fsm::Execution gone = Finished("gone", "agent-1");
  const std::vector<const fsm::Execution*> batch = {&a, &gone, &no_end, &b};
  const std::vector<StatusCode> want = {StatusCode::kOk, StatusCode::kNotFound,
                                        StatusCode::kInvalidArgument, StatusCode::kOk};
  EXPECT_EQ(Codes(ExecutionsClient().ReportMany(p.follower.address(), batch, Soon())), want);
  EXPECT_EQ(p.follower.hook_calls, 0);
  EXPECT_EQ(p.follower.raft.proposals(), 0);
  EXPECT_EQ(p.leader.hook_calls, 2);
  EXPECT_EQ(p.leader.raft.proposals(), 2);
  for (const fsm::Execution* e : {&a, &b}) {
    auto stored = p.leader.Stored("backup", e->id);
    ASSERT_TRUE(stored.has_value()) << e->id;
    EXPECT_FALSE(stored->running());
    EXPECT_EQ(stored->output, "hello [processed]");
  }

  // The agent did not hear the answers and sends the batch again: the same
  // answers, and nothing is processed or proposed a second time.
  EXPECT_EQ(Codes(ExecutionsClient().ReportMany(p.follower.address(), batch, Soon())), want);
  EXPECT_EQ(p.leader.hook_calls, 2);
  EXPECT_EQ(p.leader.raft.proposals(), 2);
}

TEST(ExecutionsService, AForwardedReportManyIsNeverForwardedAgain) {
  Crossed c;
  TestServer &a = c.a, &b = c.b;
  const fsm::Execution e = Finished("backup", "agent-1");
  const std::vector<Status> r =
      ExecutionsClient().ReportMany(a.address(), {&e}, absl::Now() + absl::Milliseconds(500));
  ASSERT_EQ(r.size(), 1u);
  // b refused it as a follower, naming the leader it knows.
  EXPECT_EQ(r[0].code(), StatusCode::kNotLeader) << r[0].ToString();
  EXPECT_EQ(r[0].leader_hint(), "a");
  EXPECT_EQ(a.hook_calls + b.hook_calls, 0);
  EXPECT_EQ(a.raft.proposals() + b.raft.proposals(), 0);
}

// A leader of an older version serves Report only.
class ReportOnlyExecutions final : public ckron::v1::Executions::Service {
 public:
  grpc::Status Report(grpc::ServerContext*, const ckron::v1::ReportRequest* request,
                      ckron::v1::ReportResponse*) override {
    std::lock_guard lock(mu_);
    ids_.push_back(request->execution().id());
    return grpc::Status::OK;
  }
  std::vector<std::string> ids() {
    std::lock_guard lock(mu_);
    return ids_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> ids_;
};

TEST(ExecutionsService, AFollowerOfAnOlderLeaderMakesTheAgentFallBackToReport) {
  ReportOnlyExecutions old_leader;
  auto server = RpcServer::Start({.address = "127.0.0.1:0"}, {&old_leader});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TestServer follower(RaftId(1));
  follower.raft.SetLeader(raft::LeaderInfo{RaftId(2), "raft-addr-of-n2"});
  follower.directory.Add(RaftId(2), "n2", (*server)->address());
  follower.Apply(fsm::PutJob{Job("backup")});
  const fsm::Execution a = Finished("backup", "agent-1"), b = Finished("backup", "agent-2");
  const std::vector<Status> r = ExecutionsClient().ReportMany(follower.address(), {&a, &b}, Soon());
  EXPECT_EQ(Codes(r), (std::vector<StatusCode>{StatusCode::kOk, StatusCode::kOk}));
  std::vector<std::string> ids = old_leader.ids();  // sent concurrently: any order
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> want = {a.id, b.id};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ids, want);
}

TEST(ExecutionsService, RenewLeasesOnAFollowerExtendsTheLeaseOnTheLeader) {
  Pair p;
  fsm::Execution running = Finished("backup", "agent-1");
  running.finished_at.reset();
  p.leader.Apply(fsm::RecordFire{"backup", kT0, running.group, false, {"agent-1"}});
  p.leader.Apply(fsm::ExecutionStarted{running, kT0 + absl::Seconds(30)});
  auto until =
      ExecutionsClient().RenewLeases(p.follower.address(), "agent-1",
                                     {{.job_name = "backup", .execution_id = running.id}}, Soon());
  ASSERT_TRUE(until.ok()) << until.status().ToString();
  EXPECT_GT(*until, absl::Now());
  absl::Time lease;
  p.leader.state.Read([&](const fsm::State& s) {
    lease = s.running().at({"backup", running.id}).lease_until;
  });
  EXPECT_GT(lease, kT0 + absl::Seconds(30));
  EXPECT_EQ(p.follower.raft.proposals(), 0);
}

}  // namespace
}  // namespace ckron::rpc
