// Incremental live output: the leader sends only the bytes after the
// caller's offset, the whole buffer when it cannot (first call, another
// generation, bytes dropped meanwhile), the follower's copy always equals
// the leader's buffer, and the whole thing over real gRPC (Cluster.LiveOutput).
#include "rpc/live_output_offsets.h"

#include <gtest/gtest.h>

#include <mutex>
#include <optional>

#include "absl/time/clock.h"
#include "fsm/execution_store.h"
#include "rpc/cluster_client.h"
#include "rpc/cluster_service.h"
#include "rpc/server.h"
#include "rpc/testing/fakes.h"

namespace ckron::rpc {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'790'000'000);

TEST(LiveOutputPositions, SendsOnlyTheBytesAfterTheOffset) {
  LiveOutputPositions leader;
  auto first = leader.Serve("j", "e", "hello ", 0, 0, kT0);
  EXPECT_EQ(first.output, "hello ");
  EXPECT_EQ(first.end, 6u);
  EXPECT_NE(first.generation, 0u);
  auto next = leader.Serve("j", "e", "hello world", first.end, first.generation, kT0);
  EXPECT_EQ(next.output, "world");
  EXPECT_EQ(next.end, 11u);
  auto none = leader.Serve("j", "e", "hello world", next.end, next.generation, kT0);
  EXPECT_EQ(none.output, "");
  // Offset 0 (an older caller) or another generation: the whole buffer.
  EXPECT_EQ(leader.Serve("j", "e", "hello world", 0, next.generation, kT0).output, "hello world");
  EXPECT_EQ(leader.Serve("j", "e", "hello world", 6, next.generation + 1, kT0).output,
            "hello world");
}

TEST(LiveOutputPositions, CountsDroppedBytesAndResendsWhatTheCallerMissed) {
  LiveOutputPositions leader;
  auto a = leader.Serve("j", "e", "aaa|bbb|", 0, 0, kT0);
  // The buffer dropped "aaa|" and gained "ccc|": positions keep counting.
  auto b = leader.Serve("j", "e", "bbb|ccc|", a.end, a.generation, kT0);
  EXPECT_EQ(b.output, "ccc|");
  EXPECT_EQ(b.end, 12u);
  // A caller still at 4 wants bytes 4..: "bbb|ccc|" starts at 4: sent whole.
  EXPECT_EQ(leader.Serve("j", "e", "bbb|ccc|", 4, a.generation, kT0).output, "bbb|ccc|");
  // A caller at 2 missed bytes the leader dropped: the whole buffer.
  auto c = leader.Serve("j", "e", "ccc|ddd|", 2, a.generation, kT0);
  EXPECT_EQ(c.output, "ccc|ddd|");
  EXPECT_EQ(c.end, 16u);
}

TEST(LiveOutputPositions, ForgetsExecutionsNobodyAsksAbout) {
  LiveOutputPositions leader;
  auto a = leader.Serve("j", "e", "x", 0, 0, kT0);
  (void)leader.Serve("j", "other", "y", 0, 0, kT0 + kLiveOutputForgetAfter * 2);
  EXPECT_EQ(leader.tracked(), 1u);
  // Renumbered: the old generation no longer applies.
  auto b = leader.Serve("j", "e", "xz", a.end, a.generation, kT0 + kLiveOutputForgetAfter * 2);
  EXPECT_EQ(b.output, "xz");
  EXPECT_NE(b.generation, a.generation);
}

TEST(LiveOutputCopy, RebuildsTheLeadersBufferFromIncrements) {
  LiveOutputPositions leader;
  LiveOutputCopy follower;
  std::string buffer;
  for (const char* chunk : {"one\n", "two\n", "", "three\n"}) {
    buffer += chunk;
    const auto ask = follower.Next("j", "e");
    auto a = leader.Serve("j", "e", buffer, ask.offset, ask.generation, kT0);
    if (ask.offset > 0) {
      EXPECT_EQ(a.output, chunk);  // only what is new
    }
    EXPECT_EQ(follower.Update("j", "e", a.output, a.end, a.generation, kT0), buffer);
  }
  // The leader dropped the oldest chunk: the copy follows (the window moves).
  buffer = "two\nthree\nfour\n";
  const auto ask = follower.Next("j", "e");
  auto a = leader.Serve("j", "e", buffer, ask.offset, ask.generation, kT0);
  EXPECT_EQ(a.output, "four\n");
  const std::string copy = follower.Update("j", "e", a.output, a.end, a.generation, kT0, 15);
  EXPECT_EQ(copy, buffer);
}

TEST(LiveOutputCopy, AnOlderLeaderSendsWholeBuffers) {
  LiveOutputCopy follower;
  EXPECT_EQ(follower.Update("j", "e", "abc", 0, 0, kT0), "abc");
  EXPECT_EQ(follower.Next("j", "e").offset, 0u);  // keeps asking for all of it
  EXPECT_EQ(follower.Update("j", "e", "abcd", 0, 0, kT0), "abcd");
}

TEST(LiveOutputOverGrpc, TheSecondCallCarriesOnlyNewBytes) {
  testing::FakeRaft raft(RaftId(1));
  raft.Lead(true);
  testing::FakeDirectory directory;
  ClusterClient client;
  fsm::MemoryExecutionStore store;
  replica::ReplicatedState state(&store);
  RestoreCounter restores;
  LeaderClient leader_client(&raft, &directory, &client);
  std::mutex mu;
  std::optional<std::string> live = "line 1\n";
  ClusterService service({.node_name = "n1",
                          .live_output =
                              [&](const std::string&, const std::string&) {
                                std::lock_guard lock(mu);
                                return live;
                              }},
                         &leader_client, &raft, &state, &restores);
  auto server = RpcServer::Start({.address = "127.0.0.1:0"}, {&service});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string addr = (*server)->address();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);

  auto first = client.LiveOutput(addr, "j", "e", 0, 0, deadline);
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status().ToString();
  EXPECT_EQ((*first)->output, "line 1\n");
  {
    std::lock_guard lock(mu);
    *live += "line 2\n";
  }
  auto second = client.LiveOutput(addr, "j", "e", (*first)->end, (*first)->generation, deadline);
  ASSERT_TRUE(second.ok() && second->has_value()) << second.status().ToString();
  EXPECT_EQ((*second)->output, "line 2\n");
  EXPECT_EQ((*second)->end, 14u);
  {
    std::lock_guard lock(mu);
    live.reset();  // finished
  }
  auto done = client.LiveOutput(addr, "j", "e", (*second)->end, (*second)->generation, deadline);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_FALSE(done->has_value());
}

}  // namespace
}  // namespace ckron::rpc
