// Changes to the set of servers, with real `ckron agent` processes: a 4th
// server that joins gossip later is added as a voter by the leader's
// reconcile; `ckron raft remove-peer` (sent to a follower, which forwards
// it) removes a dead server, which the reconcile then leaves out; a server
// that leaves gracefully is removed by the leader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "agent_cluster.h"

namespace ckron::testing {
namespace {

using ::testing::HasSubstr;

TEST(ClusterMembership, LateServerBecomesVoter_RemovePeerRemovesADeadOne_LeaverIsRemoved) {
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();

  // A 4th server, started without bootstrap-expect, joins gossip later.
  const int late = c.Add({.server = true});
  ASSERT_TRUE(c.Start(late, {c.gossip_addr(1)}).ok());
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(Eventually(
        [&] {
          return c.HasVoters(i, {"n0", "n1", "n2", "n3"});
        },
        60s))
        << "as seen by " << c.name(i) << "\n"
        << c.Describe();
  }
  ASSERT_TRUE(c.PutJob(late, "via-late-server").ok()) << c.Describe();
  EXPECT_TRUE(Eventually([&] { return c.GetJob(0, "via-late-server").ok(); }));

  // It dies; gossip marks it failed (not reaped: it may come back), so the
  // reconcile keeps it until an operator removes it, through any server.
  c.Kill(late);
  ASSERT_TRUE(Eventually([&] { return c.MemberStatus(0, "n3") == "failed"; }, 60s)) << c.Describe();
  const int leader = c.WaitForLeader();
  ASSERT_GE(leader, 0);
  const int follower = leader == 0 ? 1 : 0;
  const CommandResult r = RunCommand(
      {CKRON_BIN, "raft", "remove-peer", "--rpc-addr", c.rpc_addr(follower), "--peer-id", "n3"});
  EXPECT_EQ(r.exit_code, 0) << r.output << c.Describe();
  EXPECT_THAT(r.output, HasSubstr("Peer n3 removed"));
  EXPECT_TRUE(Eventually([&] { return c.HasVoters(leader, {"n0", "n1", "n2"}); }));
  // Unknown ids are refused.
  const CommandResult bad = RunCommand(
      {CKRON_BIN, "raft", "remove-peer", "--rpc-addr", c.rpc_addr(leader), "--peer-id", "nope"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("no server with id or node name"));

  // A graceful leave (SIGTERM) of a follower: the leader removes it.
  const int leaver = leader == 2 ? 1 : 2;
  c.Signal(leaver, SIGTERM);
  EXPECT_EQ(c.WaitExit(leaver), 0) << c.Log(leaver);
  std::set<std::string> rest = {"n0", "n1", "n2"};
  rest.erase(c.name(leaver));
  EXPECT_TRUE(Eventually([&] { return c.HasVoters(leader, rest); }, 60s)) << c.Describe();
  // That removal came from a reconcile, which left the dead n3 out.
  EXPECT_TRUE(c.PutJob(leader, "after-changes").ok()) << c.Describe();
}

TEST(ClusterMembership, GracefulLeaveOfTheLeaderHandsOverAndIsRemoved) {
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();
  const int leader = c.WaitForLeader();
  ASSERT_GE(leader, 0);
  c.Signal(leader, SIGTERM);
  EXPECT_EQ(c.WaitExit(leader), 0) << c.Log(leader);
  const int next = c.WaitForLeader(30s, leader);
  ASSERT_GE(next, 0) << c.Describe();
  std::set<std::string> rest = {"n0", "n1", "n2"};
  rest.erase(c.name(leader));
  EXPECT_TRUE(Eventually([&] { return c.HasVoters(next, rest); }, 60s)) << c.Describe();
  EXPECT_TRUE(c.PutJob(next, "after-leader-left").ok()) << c.Describe();
}

}  // namespace
}  // namespace ckron::testing
