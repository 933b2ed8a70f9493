#include "membership/agent_tags.h"

#include <gtest/gtest.h>

namespace ckron::membership {
namespace {

TEST(AgentTags, ServerGetsDkronsTagSet) {
  AgentTagSettings s{.server = true,
                     .region = "eu",
                     .version = "4.1.2",
                     .bootstrap = true,
                     .bootstrap_expect = 3,
                     .advertise_ip = "10.0.0.5",
                     .advertise_rpc_port = 6868,
                     .user_tags = {{"zone", "a"}}};
  auto t = BuildAgentTags(s);
  ASSERT_TRUE(t.ok());
  const std::map<std::string, std::string> want = {
      {"role", "dkron"},  {"dc", "dc1"},      {"region", "eu"}, {"version", "4.1.2"},
      {"server", "true"}, {"bootstrap", "1"}, {"expect", "3"},  {"rpc_addr", "10.0.0.5:6868"},
      {"port", "6868"},   {"zone", "a"}};
  EXPECT_EQ(*t, want);
}

TEST(AgentTags, AgentHasNoServerBootstrapOrExpect) {
  auto t = BuildAgentTags(AgentTagSettings{.advertise_ip = "10.0.0.6", .advertise_rpc_port = 7000});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->count("server"), 0u);
  EXPECT_EQ(t->count("bootstrap"), 0u);
  EXPECT_EQ(t->count("expect"), 0u);
  EXPECT_EQ(t->at("rpc_addr"), "10.0.0.6:7000");
  EXPECT_EQ(t->at("port"), "7000");
}

TEST(AgentTags, CkronServersPublishTheirRaftAddress) {
  auto t = BuildAgentTags(
      AgentTagSettings{.server = true, .advertise_ip = "10.0.0.7", .raft_addr = "10.0.0.7:8190"});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->at("raft_addr"), "10.0.0.7:8190");
  EXPECT_EQ(BuildAgentTags(AgentTagSettings{})->count("raft_addr"), 0u);
}

TEST(AgentTags, ReservedUserTagsAreRejected) {
  for (const char* k : {"role", "server", "rpc_addr", "region", "dc", "port", "raft_addr"}) {
    auto t = BuildAgentTags(AgentTagSettings{.user_tags = {{k, "x"}}});
    ASSERT_FALSE(t.ok()) << k;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ckron::membership
