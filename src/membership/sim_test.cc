// Deterministic simulations (virtual clock, seeded lossy network) of the
// full Memberlist + Serf stack. No timing is asserted beyond generous
// virtual-time bounds that follow from the protocol's own timeouts.
#include <gtest/gtest.h>

#include "common/log.h"
#include "membership/sim_cluster.h"

namespace ckron::membership {
namespace {

void JoinAll(SimCluster& c, int n) {
  for (int i = 1; i < n; ++i) {
    c.node(i).Join({SimCluster::AddrOf(0)},
                   [](int ok, Status s) { ASSERT_EQ(ok, 1) << s.ToString(); });
  }
}

int CountStatus(SimCluster& c, int viewer, MemberStatus st) {
  int k = 0;
  for (const auto& m : c.node(viewer).Members()) k += m.status == st;
  return k;
}

TEST(Simulation, FiveNodesJoinSeeTagsDetectACrashAndAGracefulLeave) {
  SimCluster c(SimOptions{.seed = 42}, MemberlistConfig{});
  for (int i = 0; i < 5; ++i) c.Add(i);
  JoinAll(c, 5);
  c.RunFor(5s);
  for (int v = 0; v < 5; ++v) {
    ASSERT_EQ(CountStatus(c, v, MemberStatus::kAlive), 5) << "viewer " << v;
    for (const auto& m : c.node(v).Members()) EXPECT_EQ(m.tags.at("role"), "dkron");
  }
  c.net().Crash(SimCluster::AddrOf(4));
  c.RunFor(60s);
  for (int v = 0; v < 4; ++v) EXPECT_EQ(c.StatusOf(v, 4), MemberStatus::kFailed) << "viewer " << v;

  bool left = false;
  c.node(3).Leave([&] { left = true; });
  c.RunFor(10s);
  EXPECT_TRUE(left);
  for (int v = 0; v < 3; ++v) EXPECT_EQ(c.StatusOf(v, 3), MemberStatus::kLeft) << "viewer " << v;
  for (int v = 0; v < 3; ++v) c.node(v).memberlist().CheckInvariants();
}

// A push/pull that reaches a peer between a node's leave and its leave
// intent carries the intent's Lamport time as the node's status time. Serf
// reads that as a join at the same time, and the intent that follows is then
// "not newer" and lost: the peer sees the leave as a failure. Seen once in CI
// against the real serf agent; made deterministic here.
TEST(Simulation, AStateSyncRacingALeaveIntentStillEndsInLeft) {
  SimCluster c(SimOptions{.seed = 5}, MemberlistConfig{});
  for (int i = 0; i < 3; ++i) c.Add(i);
  JoinAll(c, 3);
  c.RunFor(5s);
  ASSERT_EQ(CountStatus(c, 0, MemberStatus::kAlive), 3);
  bool left = false;
  c.node(2).Leave([&] { left = true; });
  // Node 0 merges node 2's state before any gossip of the intent arrives.
  c.node(0).MergeRemoteState(c.node(2).LocalState(false), false);
  c.RunFor(10s);
  EXPECT_TRUE(left);
  EXPECT_EQ(c.StatusOf(0, 2), MemberStatus::kLeft);
  EXPECT_EQ(c.StatusOf(1, 2), MemberStatus::kLeft);
}

TEST(Simulation, UserEventReachesEveryNodeOnce) {
  SimCluster c(SimOptions{.seed = 7, .loss = 0.1}, MemberlistConfig{});
  std::vector<int> seen(8, 0);
  for (int i = 0; i < 8; ++i) {
    c.Add(i, [&seen, i](const SerfEvent& e) {
      if (e.type == SerfEvent::Type::kUser && e.name == "deploy")
        ++seen[static_cast<std::size_t>(i)];
    });
  }
  JoinAll(c, 8);
  c.RunFor(5s);
  ASSERT_TRUE(c.node(2).UserEvent("deploy", "v2", false).ok());
  c.RunFor(10s);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], 1) << "node " << i;
}

TEST(Simulation, TagUpdateSpreads) {
  SimCluster c(SimOptions{.seed = 3}, MemberlistConfig{});
  for (int i = 0; i < 4; ++i) c.Add(i);
  JoinAll(c, 4);
  c.RunFor(3s);
  ASSERT_TRUE(c.node(1).SetTags({{"role", "dkron"}, {"zone", "b"}}).ok());
  c.RunFor(3s);
  for (int v = 0; v < 4; ++v) {
    for (const auto& m : c.node(v).Members()) {
      if (m.name == "n1") {
        EXPECT_EQ(m.tags.count("zone"), 1u) << "viewer " << v;
      }
    }
  }
}

TEST(Simulation, TwentyPercentLossDeclaresNoLiveNodeDead) {
  SimCluster c(SimOptions{.seed = 11}, MemberlistConfig{});
  for (int i = 0; i < 10; ++i) c.Add(i);
  JoinAll(c, 10);
  c.RunFor(5s);
  c.net().set_loss(0.2);
  c.RunFor(120s);
  for (int v = 0; v < 10; ++v)
    EXPECT_EQ(CountStatus(c, v, MemberStatus::kAlive), 10) << "viewer " << v;
  c.net().Crash(SimCluster::AddrOf(9));
  c.RunFor(60s);
  for (int v = 0; v < 9; ++v) EXPECT_EQ(c.StatusOf(v, 9), MemberStatus::kFailed) << "viewer " << v;
}

// The loss the 5-process namespace test puts on real sockets, here on 50
// members in virtual time: 20 % of datagrams and TCP segments lost for two
// minutes, no live member declared failed anywhere; then a crash is still
// detected by every survivor.
TEST(Simulation, FiftyMembersUnderTwentyPercentLossForTwoMinutes) {
  constexpr int kN = 50;
  logging::SetLevel(spdlog::level::err);
  SimCluster c(SimOptions{.seed = 99}, MemberlistConfig{});
  int false_failures = 0;
  bool crashed = false;
  for (int i = 0; i < kN; ++i) {
    c.Add(i, [&](const SerfEvent& e) {
      if (e.type == SerfEvent::Type::kMemberFailed && !(crashed && e.members[0].name == "n49")) {
        ++false_failures;
      }
    });
  }
  c.SeedConverged(kN);
  c.RunFor(5s);
  c.net().set_loss(0.2);
  c.RunFor(120s);
  EXPECT_EQ(false_failures, 0);
  crashed = true;
  c.net().Crash(SimCluster::AddrOf(kN - 1));
  c.RunFor(60s);
  int saw = 0;
  for (int v = 0; v < kN - 1; ++v) saw += c.StatusOf(v, kN - 1) == MemberStatus::kFailed;
  EXPECT_EQ(saw, kN - 1);
  EXPECT_EQ(false_failures, 0);
}

// Regression for a false failure seen under loss: a node that holds a
// suspicion but missed the suspect's refutation (all of its retransmissions
// over while the node heard nothing) kept its timer running until it
// declared a live member failed. With verify_suspects and stale_answers it
// asks the suspect and learns the refutation first. The control arm, with
// both off (memberlist's behaviour), shows the false failure.
TEST(Simulation, ANodeThatMissedARefutationAsksTheSuspectBeforeItsTimerFires) {
  for (const bool ckron_additions : {true, false}) {
    SCOPED_TRACE(ckron_additions ? "with verify_suspects + stale_answers" : "memberlist behaviour");
    MemberlistConfig cfg;
    cfg.push_pull_interval = 0s;  // no anti-entropy to repair it by chance
    cfg.verify_suspects = cfg.stale_answers = ckron_additions;
    SimCluster c(SimOptions{.seed = 5}, cfg);
    constexpr int kN = 30;
    int failed_at_0 = 0;
    for (int i = 0; i < kN; ++i) {
      c.Add(i, [&failed_at_0, i](const SerfEvent& e) {
        failed_at_0 += i == 0 && e.type == SerfEvent::Type::kMemberFailed;
      });
    }
    c.SeedConverged(kN);
    c.RunFor(3s);
    // Node 0 hears (from n1) that n2 is suspect, then goes deaf for a moment:
    // n2 refutes, and the refutation's gossip is over before node 0 hears
    // again.
    const NodeState* n2 = c.node(0).memberlist().Find("n2");
    ASSERT_NE(n2, nullptr);
    const std::string accusation =
        wire::Encode(wire::Suspect{.incarnation = n2->incarnation, .node = "n2", .from = "n1"});
    c.node(0).memberlist().OnPacket(SimCluster::AddrOf(1),
                                    wire::SealPacket(accusation, Keyring(), false, false));
    c.net().BlockInbound(SimCluster::AddrOf(0), true);
    c.RunFor(900ms);
    c.net().BlockInbound(SimCluster::AddrOf(0), false);
    EXPECT_EQ(c.StatusOf(1, 2), MemberStatus::kAlive);
    c.RunFor(30s);
    if (ckron_additions) {
      EXPECT_EQ(failed_at_0, 0);
      EXPECT_EQ(c.StatusOf(0, 2), MemberStatus::kAlive);
    } else {
      // And, push/pull off, it stays wrong: its dead message is stale to
      // everyone who heard the refutation, so no one tells n2 to refute it.
      EXPECT_EQ(failed_at_0, 1);
    }
  }
}

// The 1,000-member run lives in bench/membership (release build); this is
// the same scenario at a size a debug build runs in seconds.
TEST(Simulation, HundredMembersConvergeOnAJoinAndAFailure) {
  constexpr int kN = 100;
  logging::SetLevel(spdlog::level::err);  // a million join lines otherwise
  SimCluster c(SimOptions{.seed = 2024, .loss = 0.01}, MemberlistConfig{});
  for (int i = 0; i < kN; ++i) c.Add(i);
  for (int i = 1; i < kN; ++i) {
    c.node(i).Join({SimCluster::AddrOf(i % 10 == 0 ? 0 : (i / 10) * 10)}, nullptr);
    if (i % 50 == 0) c.RunFor(100ms);
  }
  c.RunFor(60s);
  int full = 0;
  for (int v = 0; v < kN; ++v) full += CountStatus(c, v, MemberStatus::kAlive) == kN;
  EXPECT_EQ(full, kN);
  c.net().Crash(SimCluster::AddrOf(50));
  c.RunFor(60s);
  int saw = 0;
  for (int v = 0; v < kN; ++v) saw += v != 50 && c.StatusOf(v, 50) == MemberStatus::kFailed;
  EXPECT_EQ(saw, kN - 1);
}

}  // namespace
}  // namespace ckron::membership
