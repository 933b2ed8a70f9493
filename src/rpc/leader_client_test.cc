// LeaderClient with fake Raft views and real gRPC between two in-process
// "servers": local proposals, forwarding to the leader's rpc address,
// retries while no leader is known, and the three ways a proposal can end
// (applied, nothing happened, outcome unknown).
#include "rpc/leader_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "fsm/commands.h"
#include "fsm/execution_store.h"
#include "rpc/cluster_service.h"
#include "rpc/server.h"
#include "rpc/testing/fakes.h"

namespace ckron::rpc {
namespace {

using testing::FakeDirectory;
using testing::FakeRaft;

// A server with its own fake Raft, serving Cluster on 127.0.0.1.
struct TestServer {
  explicit TestServer(RaftId id)
      : raft(id),
        state(&store),
        leader_client(&raft, &directory, &client),
        service({.node_name = "n" + std::to_string(id.value())}, &leader_client, &raft, &state,
                &restores) {
    auto s = RpcServer::Start({.address = "127.0.0.1:0"}, {&service});
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server = std::move(*s);
  }
  std::string address() const { return server->address(); }

  FakeRaft raft;
  FakeDirectory directory;
  ClusterClient client;
  fsm::MemoryExecutionStore store;
  replica::ReplicatedState state;
  RestoreCounter restores;
  LeaderClient leader_client;
  ClusterService service;
  std::unique_ptr<RpcServer> server;
};

absl::Time Soon() {
  return absl::Now() + absl::Seconds(10);
}

TEST(LeaderClient, ProposesLocallyWhenLeading) {
  TestServer a(RaftId(1));
  a.raft.Lead(true);
  auto r = a.leader_client.Propose("cmd", Soon());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok:cmd");
  EXPECT_EQ(a.raft.proposals(), 1);
}

TEST(LeaderClient, FollowerForwardsToTheLeadersRpcAddress) {
  TestServer follower(RaftId(1)), leader(RaftId(2));
  leader.raft.Lead(true);
  follower.raft.SetLeader(raft::LeaderInfo{RaftId(2), "127.0.0.1:8190"});
  follower.directory.Add(RaftId(2), "n2", leader.address());
  auto r = follower.leader_client.Propose("cmd", Soon());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->result, "ok:cmd");
  EXPECT_EQ(follower.raft.proposals(), 0);
  EXPECT_EQ(leader.raft.proposals(), 1);

  // A client may send to the follower's Cluster service: same path. The
  // service decodes what enters the cluster, so this one is a real command.
  const std::string cmd2 = replica::EncodeCommand(absl::Now(), fsm::SetPaused{true});
  auto via_rpc = ClusterClient().Propose(follower.address(), cmd2, false, Soon());
  ASSERT_TRUE(via_rpc.ok()) << via_rpc.status().ToString();
  EXPECT_EQ(via_rpc->result, "ok:" + cmd2);
  // Bytes that are no command are refused where they enter, never replicated.
  auto garbage = ClusterClient().Propose(follower.address(), "cmd3", false, Soon());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument) << garbage.status().ToString();
  EXPECT_EQ(leader.raft.proposals(), 2);
}

TEST(LeaderClient, ProposeBatchAnswersEachCommandInOrder) {
  TestServer follower(RaftId(1)), leader(RaftId(2));
  leader.raft.Lead(true);
  follower.raft.SetLeader(raft::LeaderInfo{RaftId(2), "127.0.0.1:8190"});
  auto r = ClusterClient().ProposeBatch(leader.address(), {"a", "b", "c"}, Soon());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE((*r)[i].ok()) << (*r)[i].status().ToString();
    EXPECT_EQ((*r)[i]->result, std::string("ok:") + "abc"[i]);
  }
  EXPECT_EQ(leader.raft.proposals(), 3);

  // A server that does not lead refuses each command, with the leader hint,
  // and never forwards them.
  auto refused = ClusterClient().ProposeBatch(follower.address(), {"x", "y"}, Soon());
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  ASSERT_EQ(refused->size(), 2u);
  for (const auto& one : *refused) {
    EXPECT_EQ(one.status().code(), StatusCode::kNotLeader);
    EXPECT_EQ(one.status().leader_hint(), "127.0.0.1:8190");
  }
  EXPECT_EQ(leader.raft.proposals(), 3);

  // Over the bound: refused as a whole, nothing proposed.
  std::vector<std::string> many(
      static_cast<std::size_t>(ClusterServiceOptions{}.max_batch_commands) + 1, "z");
  auto too_many = ClusterClient().ProposeBatch(leader.address(), many, Soon());
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(leader.raft.proposals(), 3);
}

TEST(LeaderClient, ConcurrentForwardsEachGetTheirOwnResult) {
  TestServer follower(RaftId(1)), leader(RaftId(2));
  leader.raft.Lead(true);
  follower.raft.SetLeader(raft::LeaderInfo{RaftId(2), "127.0.0.1:8190"});
  follower.directory.Add(RaftId(2), "n2", leader.address());
  std::atomic<int> wrong{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string cmd = "w" + std::to_string(t) + "-" + std::to_string(i);
        auto r = follower.leader_client.Propose(cmd, Soon());
        if (!r.ok() || r->result != "ok:" + cmd) ++wrong;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(leader.raft.proposals(), 16 * 25);  // each exactly once
  EXPECT_EQ(follower.raft.proposals(), 0);
}

TEST(LeaderClient, ForwardedProposalIsNotForwardedAgain) {
  TestServer a(RaftId(1)), b(RaftId(2));
  // Each believes the other leads: a forwarded request must not bounce back.
  a.raft.SetLeader(raft::LeaderInfo{RaftId(2), "b"});
  b.raft.SetLeader(raft::LeaderInfo{RaftId(1), "a"});
  a.directory.Add(RaftId(2), "n2", b.address());
  b.directory.Add(RaftId(1), "n1", a.address());
  auto r = a.leader_client.Propose("cmd", absl::Now() + absl::Milliseconds(300));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_GT(b.raft.proposals(), 0);  // b was asked, locally only
  EXPECT_EQ(a.raft.proposals(), 0);  // and never sent it back to a
}

TEST(LeaderClient, RetriesUntilALeaderAppears) {
  TestServer a(RaftId(1));
  std::thread elect([&] {
    // The election ends while the client is retrying (it asks for the
    // leader once per attempt).
    while (a.raft.leader_queries() < 3) std::this_thread::yield();
    a.raft.Lead(true);
  });
  auto r = a.leader_client.Propose("cmd", Soon());
  elect.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

TEST(LeaderClient, NoLeaderBeforeTheDeadlineMeansNothingHappened) {
  TestServer a(RaftId(1));
  auto r = a.leader_client.Propose("cmd", absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

TEST(LeaderClient, AnUnknownOutcomeIsReportedWhenNoLaterAttemptConfirms) {
  TestServer a(RaftId(1));
  a.raft.Lead(true);
  a.raft.Script({Status::OutcomeUnknown("leadership lost after append"),
                 Status::ResourceExhausted("queue full")});
  auto r = a.leader_client.Propose("cmd", absl::Now() + absl::Milliseconds(200));
  EXPECT_EQ(r.status().code(), StatusCode::kOutcomeUnknown) << r.status().ToString();
}

TEST(LeaderClient, AnUnknownOutcomeFollowedBySuccessIsSuccess) {
  TestServer a(RaftId(1));
  a.raft.Lead(true);
  a.raft.Script({Status::OutcomeUnknown("lost"), raft::Applied{LogIndex(7), "done"}});
  auto r = a.leader_client.Propose("cmd", Soon());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->index, LogIndex(7));
}

TEST(LeaderClient, RefusalsThatRetryingCannotFixReturnAtOnce) {
  TestServer a(RaftId(1));
  a.raft.Lead(true);
  a.raft.Script({Status::InvalidArgument("command too large")});
  auto r = a.leader_client.Propose("cmd", Soon());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.raft.proposals(), 1);
}

// A leading Raft whose applies the test completes (ProposeAsync callbacks).
class HeldRaft final : public LocalRaft {
 public:
  RaftId id() const override { return RaftId(1); }
  bool IsLeader() const override { return true; }
  std::optional<raft::LeaderInfo> Leader() const override {
    return raft::LeaderInfo{RaftId(1), "local"};
  }
  std::vector<raft::Server> Configuration() const override { return {}; }
  raft::NodeInfo Info() const override { return {}; }
  std::future<Result<raft::Applied>> Propose(std::string) override {
    ADD_FAILURE() << "the asynchronous path must not use the future";
    return {};
  }
  void ProposeAsync(std::string command, std::function<void(Result<raft::Applied>)> done) override {
    std::lock_guard lock(mu);
    held.emplace_back(std::move(command), std::move(done));
    cv.notify_all();
  }
  std::future<Status> RemoveServer(RaftId) override { return {}; }
  // Waits (bounded) for `n` held proposals.
  bool WaitHeld(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return held.size() >= n; });
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::function<void(Result<raft::Applied>)>>> held;
};

// Collects ProposeAsync answers.
struct Answers {
  void Add(Result<raft::Applied> r) {
    std::lock_guard lock(mu);
    got.push_back(std::move(r));
    cv.notify_all();
  }
  bool Wait(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return got.size() >= n; });
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return got.size();
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Result<raft::Applied>> got;
};

TEST(LeaderClient, ProposeAsyncIsAnsweredFromTheApplyCallback) {
  HeldRaft raft;
  FakeDirectory directory;
  ClusterClient client;
  LeaderClient lc(&raft, &directory, &client);
  Answers answers;
  for (int i = 0; i < 3; ++i) {
    lc.ProposeAsync("c" + std::to_string(i), Soon(),
                    [&](Result<raft::Applied> r) { answers.Add(std::move(r)); });
  }
  // All three are out at once and none is answered: no thread waits.
  ASSERT_TRUE(raft.WaitHeld(3));
  EXPECT_EQ(answers.size(), 0u);
  std::thread apply([&] {
    std::lock_guard lock(raft.mu);
    for (std::size_t i = 0; i < raft.held.size(); ++i) {
      raft.held[i].second(raft::Applied{LogIndex(i + 1), "ok:" + raft.held[i].first});
    }
  });
  apply.join();
  ASSERT_TRUE(answers.Wait(3));
  for (const auto& r : answers.got) ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(answers.got[2]->result, "ok:c2");
}

TEST(LeaderClient, ProposeAsyncNotAppliedByTheDeadlineIsUnknownAndAnsweredOnce) {
  HeldRaft raft;
  FakeDirectory directory;
  ClusterClient client;
  LeaderClient lc(&raft, &directory, &client);
  Answers answers;
  lc.ProposeAsync("c", absl::Now() + absl::Milliseconds(50),
                  [&](Result<raft::Applied> r) { answers.Add(std::move(r)); });
  ASSERT_TRUE(answers.Wait(1));  // the deadline timer answered
  EXPECT_EQ(answers.got[0].status().code(), StatusCode::kOutcomeUnknown)
      << answers.got[0].status().ToString();
  ASSERT_TRUE(raft.WaitHeld(1));
  raft.held[0].second(raft::Applied{LogIndex(1), "late"});  // applied after all
  EXPECT_EQ(answers.size(), 1u);
}

TEST(LeaderClient, AnUnreachableLeaderMayHaveReceivedIt) {
  TestServer a(RaftId(1));
  a.raft.SetLeader(raft::LeaderInfo{RaftId(2), "b"});
  {
    // A port that was just closed: nobody listens there.
    TestServer gone(RaftId(3));
    a.directory.Add(RaftId(2), "n2", gone.address());
  }
  auto r = a.leader_client.Propose("cmd", absl::Now() + absl::Milliseconds(300));
  // gRPC cannot tell "refused" from "broke after sending": conservatively unknown.
  EXPECT_EQ(r.status().code(), StatusCode::kOutcomeUnknown) << r.status().ToString();
}

}  // namespace
}  // namespace ckron::rpc

namespace ckron::rpc {
namespace {

TEST(LeaderClientCallLeader, HereWhenLeadingThereWithTheLeadersAddressOtherwise) {
  TestServer follower(RaftId(1)), leader(RaftId(2));
  leader.raft.Lead(true);
  int here = 0;
  std::string there;
  auto call = [&](LeaderClient& c) {
    return c.CallLeader(
        [&] {
          ++here;
          return OkStatus();
        },
        [&](const std::string& addr) {
          there = addr;
          return OkStatus();
        },
        Soon());
  };
  EXPECT_TRUE(call(leader.leader_client).ok());
  EXPECT_EQ(here, 1);
  follower.raft.SetLeader(raft::LeaderInfo{RaftId(2), "127.0.0.1:8190"});
  follower.directory.Add(RaftId(2), "n2", leader.address());
  EXPECT_TRUE(call(follower.leader_client).ok());
  EXPECT_EQ(there, leader.address());
  // Cluster.RunJob over gRPC: a server without a run hook refuses (not
  // retried: it is no leadership problem).
  const Status s = follower.leader_client.CallLeader(
      [] { return Status::Internal("not here"); },
      [&](const std::string& addr) { return follower.client.RunJob(addr, "job", false, Soon()); },
      Soon());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
}

TEST(LeaderClientCallLeader, RetriesNotLeaderUntilTheDeadline) {
  TestServer a(RaftId(1));
  a.raft.Lead(true);
  int calls = 0;
  const Status s = a.leader_client.CallLeader(
      [&] {
        ++calls;
        return calls < 3 ? Status::NotLeader("", "dispatcher not started yet") : OkStatus();
      },
      [](const std::string&) { return Status::Internal("unexpected"); }, Soon());
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(calls, 3);
  const Status late =
      a.leader_client.CallLeader([] { return Status::NotLeader("", "never"); },
                                 [](const std::string&) { return Status::Internal("unexpected"); },
                                 absl::Now() + absl::Milliseconds(50));
  EXPECT_EQ(late.code(), StatusCode::kUnavailable) << late.ToString();
}

}  // namespace
}  // namespace ckron::rpc
