// Cluster formation and the agent's gossip wiring, with real `ckron agent`
// processes on 127.0.0.1: three servers with --bootstrap-expect 3 form one
// Raft cluster; a write sent to any of them is visible on all; a plain
// agent joins gossip but not Raft; `ckron leave` and SIGTERM leave the
// gossip pool (the others see `left`); SIGHUP publishes new tags.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>

#include "agent_cluster.h"

namespace ckron::testing {
namespace {

using ::testing::HasSubstr;

TEST(ClusterFormation, ThreeServersWithBootstrapExpectFormOneClusterWithOneLeader) {
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();
  // Every server agrees on the leader.
  const int leader = c.WaitForLeader();
  ASSERT_GE(leader, 0);
  for (int i = 0; i < 3; ++i) {
    auto peers = c.Peers(i);
    ASSERT_TRUE(peers.ok()) << peers.status().ToString();
    ASSERT_EQ(peers->size(), 3u);
    int leaders = 0;
    for (const auto& p : *peers) {
      EXPECT_TRUE(p.voter) << p.node;
      if (p.leader) {
        ++leaders;
        EXPECT_EQ(p.node, c.name(leader));
      }
    }
    EXPECT_EQ(leaders, 1) << "as seen by " << c.name(i);
  }
  // The operator's view: `ckron raft list-peers` prints the same table.
  const CommandResult r =
      RunCommand({CKRON_BIN, "raft", "list-peers", "--rpc-addr", c.rpc_addr(1)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("leader"));
  for (int i = 0; i < 3; ++i) EXPECT_THAT(r.output, HasSubstr(c.name(i)));
  // Each server either bootstrapped with the same three, or learnt that the
  // cluster existed (a peer had peers, or the leader reached it first).
  int bootstrapped = 0;
  for (int i = 0; i < 3; ++i) {
    const bool b = c.LogContains(i, "bootstrapping the cluster with 3 servers: n0 (");
    bootstrapped += b;
    EXPECT_TRUE(b || c.LogContains(i, "already has") || c.LogContains(i, "formation done"))
        << c.Log(i);
  }
  EXPECT_GE(bootstrapped, 1);
}

TEST(ClusterFormation, AWriteSentToAnyServerIsVisibleOnAll) {
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();
  for (int i = 0; i < 3; ++i) {
    const Status s = c.PutJob(i, "job-via-" + c.name(i));
    ASSERT_TRUE(s.ok()) << "via " << c.name(i) << ": " << s.ToString() << "\n" << c.Describe();
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      const std::string job = "job-via-" + c.name(j);
      EXPECT_TRUE(Eventually([&] { return c.GetJob(i, job).ok(); }))
          << job << " not on " << c.name(i);
    }
  }
  auto job = c.GetJob(2, "job-via-n0");
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->schedule, "@every 1h");
  EXPECT_EQ(c.GetJob(1, "no-such-job").status().code(), StatusCode::kNotFound);
}

TEST(ClusterFormation, RestartedServerDoesNotBootstrapAgain) {
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();
  ASSERT_TRUE(c.PutJob(0, "before-restart").ok());
  // A crash, not SIGTERM: a server that leaves gracefully is removed from
  // the Raft configuration by the leader (Dkron's behaviour), so whether it
  // is still a member when it stops would be a race; a crashed one keeps its
  // Raft state and must not bootstrap from it again.
  c.Signal(2, SIGKILL);
  c.WaitExit(2);
  ASSERT_TRUE(c.Start(2, {c.gossip_addr(0)}).ok()) << c.Log(2);
  EXPECT_TRUE(Eventually([&] { return c.HasVoters(0, {"n0", "n1", "n2"}); })) << c.Describe();
  EXPECT_TRUE(Eventually([&] { return c.GetJob(2, "before-restart").ok(); }));
  // It loaded its Raft configuration from disk, so it knew at start that it
  // is a member; it bootstrapped once, before the crash, and never again.
  EXPECT_NE(c.Log(2).find("already a member of a Raft cluster"), std::string::npos) << c.Log(2);
  const std::string log = c.FullLog(2);
  std::size_t bootstraps = 0;
  for (std::size_t at = log.find("raft: bootstrapping the cluster"); at != std::string::npos;
       at = log.find("raft: bootstrapping the cluster", at + 1)) {
    ++bootstraps;
  }
  EXPECT_EQ(bootstraps, 1u) << log;
}

TEST(ClusterFormation, PlainAgentJoinsGossipButNotRaft_LeaveAndSigtermShowLeft) {
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();
  const int agent = c.Add({.server = false});
  ASSERT_TRUE(c.Start(agent, {c.gossip_addr(0)}).ok());
  ASSERT_TRUE(Eventually([&] { return c.MemberStatus(1, c.name(agent)) == "alive"; }))
      << c.Describe();

  // Its tags: Dkron's, without server/raft_addr.
  auto members = c.Members(1);
  ASSERT_TRUE(members.ok());
  for (const auto& m : *members) {
    if (m.name == c.name(agent)) {
      EXPECT_EQ(m.tags.at("role"), "dkron");
      EXPECT_EQ(m.tags.count("server"), 0u);
      EXPECT_EQ(m.tags.count("raft_addr"), 0u);
      EXPECT_EQ(m.tags.at("rpc_addr"), c.rpc_addr(agent));
    } else {
      EXPECT_EQ(m.tags.at("server"), "true");
      EXPECT_EQ(m.tags.at("expect"), "3");
      EXPECT_EQ(m.tags.count("raft_addr"), 1u);
    }
  }
  // Not a Raft member, and it does not serve Raft.
  EXPECT_TRUE(c.HasVoters(0, {"n0", "n1", "n2"}));
  const CommandResult peers =
      RunCommand({CKRON_BIN, "raft", "list-peers", "--rpc-addr", c.rpc_addr(agent)});
  EXPECT_EQ(peers.exit_code, 1);
  EXPECT_THAT(peers.output, HasSubstr("does not serve Raft"));

  // `ckron leave`: it exits 0 and the servers see it `left`.
  const CommandResult leave = RunCommand({CKRON_BIN, "leave", "--rpc-addr", c.rpc_addr(agent)});
  EXPECT_EQ(leave.exit_code, 0) << leave.output;
  EXPECT_EQ(c.WaitExit(agent), 0) << c.Log(agent);
  EXPECT_TRUE(Eventually([&] { return c.MemberStatus(0, c.name(agent)) == "left"; }))
      << c.Describe();
  EXPECT_TRUE(c.LogContains(agent, "agent: left the gossip pool"));

  // SIGTERM on a server: the same, and the leader removes it from Raft.
  c.Signal(2, SIGTERM);
  EXPECT_EQ(c.WaitExit(2), 0) << c.Log(2);
  EXPECT_TRUE(Eventually([&] { return c.MemberStatus(0, "n2") == "left"; })) << c.Describe();
  EXPECT_TRUE(Eventually([&] { return c.HasVoters(0, {"n0", "n1"}); })) << c.Describe();
  EXPECT_TRUE(c.PutJob(1, "after-leave").ok()) << c.Describe();
}

TEST(ClusterFormation, SighupPublishesNewTags) {
  AgentCluster c;
  const int s = c.Add({.server = true, .bootstrap_expect = 1});
  const int a = c.Add({.server = false});
  ASSERT_TRUE(c.Start(s).ok());
  ASSERT_TRUE(c.Start(a, {c.gossip_addr(s)}).ok());
  ASSERT_TRUE(Eventually([&] { return c.MemberStatus(s, c.name(a)) == "alive"; }));
  std::ofstream(c.config_path(a)) << "log-level: info\ntags:\n  team: green\n";
  c.Signal(a, SIGHUP);
  auto tag_seen = [&] {
    auto members = c.Members(s);
    if (!members.ok()) return false;
    for (const auto& m : *members) {
      if (m.name == c.name(a) && m.tags.contains("team")) return m.tags.at("team") == "green";
    }
    return false;
  };
  EXPECT_TRUE(Eventually(tag_seen)) << c.Describe();
}

}  // namespace
}  // namespace ckron::testing
