#include "node/gossip_options.h"

#include <gtest/gtest.h>

#include "node/version.h"

namespace ckron::node {
namespace {

ResolvedAddresses Addrs() {
  ResolvedAddresses a;
  a.bind_ip = "0.0.0.0";
  a.bind_port = 8946;
  a.advertise_ip = "10.0.0.5";
  a.advertise_port = 8946;
  return a;
}

TEST(GossipOptions, ServerPublishesDkronTagsAndItsRaftAddress) {
  config::AgentConfig c;
  c.server = true;
  c.node_name = "s1";
  c.region = "eu";
  c.bootstrap_expect = 3;
  c.rpc_port = 7000;
  c.raft_port = 8200;
  c.tags = {{"zone", "a"}};
  auto tags = AgentTags(c, Addrs());
  ASSERT_TRUE(tags.ok()) << tags.status().ToString();
  const std::map<std::string, std::string> want = {{"role", "dkron"},
                                                   {"dc", "dc1"},
                                                   {"region", "eu"},
                                                   {"version", std::string(Version())},
                                                   {"server", "true"},
                                                   {"expect", "3"},
                                                   {"rpc_addr", "10.0.0.5:7000"},
                                                   {"port", "7000"},
                                                   {"raft_addr", "10.0.0.5:8200"},
                                                   {"zone", "a"}};
  EXPECT_EQ(*tags, want);
}

TEST(GossipOptions, PlainAgentHasNoServerTagsAndAdvertisesItsRpcPort) {
  config::AgentConfig c;
  c.node_name = "a1";
  c.advertise_rpc_port = 7100;
  auto tags = AgentTags(c, Addrs());
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->count("server"), 0u);
  EXPECT_EQ(tags->count("raft_addr"), 0u);
  EXPECT_EQ(tags->count("expect"), 0u);
  EXPECT_EQ(tags->at("rpc_addr"), "10.0.0.5:7100");
}

TEST(GossipOptions, YamlBootstrapSetsTheBootstrapTag) {
  config::AgentConfig c;
  c.server = true;
  c.node_name = "s1";
  c.bootstrap = true;
  auto tags = AgentTags(c, Addrs());
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->at("bootstrap"), "1");
}

TEST(GossipOptions, MembershipOptionsCarryProfileKeyAndReconnectTimeout) {
  config::AgentConfig c;
  c.node_name = "a1";
  c.profile = "wan";
  c.encrypt = "kPpnXQ+cr2SuYQpY8ImzK8R5QZQkmcnbyqKlImvx7IA=";
  c.serf_reconnect_timeout = absl::Minutes(10);
  c.join = {"10.0.0.9:8946"};
  auto o = BuildMembershipOptions(c, Addrs());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->node_name, "a1");
  EXPECT_EQ(o->bind_addr, "0.0.0.0:8946");
  EXPECT_EQ(o->advertise_addr, "10.0.0.5:8946");
  EXPECT_EQ(o->profile, "wan");
  EXPECT_EQ(o->keys, std::vector<std::string>{c.encrypt});
  EXPECT_EQ(o->reconnect_timeout, std::chrono::minutes(10));
  EXPECT_TRUE(o->join.empty()) << "the agent joins itself (node/joiner.h)";
}

TEST(GossipOptions, NoKeyMeansPlaintext) {
  config::AgentConfig c;
  c.node_name = "a1";
  auto o = BuildMembershipOptions(c, Addrs());
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->keys.empty());
}

}  // namespace
}  // namespace ckron::node
