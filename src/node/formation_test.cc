#include "node/formation.h"

#include <gtest/gtest.h>

#include "raft/options.h"

namespace ckron::node {
namespace {

using Kind = BootstrapDecision::Kind;
using membership::MemberInfo;
using membership::MemberState;

MemberInfo Member(const std::string& name, int expect, const std::string& region = "global",
                  MemberState status = MemberState::kAlive) {
  MemberInfo m;
  m.name = name;
  m.status = status;
  m.region = region;
  m.rpc_addr = "127.0.0.1:6868";
  m.tags = {{"role", "dkron"},
            {"server", "true"},
            {"region", region},
            {"raft_addr", "127.0.0.1:" + std::to_string(8190 + name.back() - '0')}};
  if (expect > 0) m.tags["expect"] = std::to_string(expect);
  return m;
}

TEST(ServerMembers, ParsesTagsAndSkipsNonServers) {
  MemberInfo agent = Member("a1", 0);
  agent.tags.erase("server");
  MemberInfo bad = Member("s9", 3);
  bad.tags["raft_addr"] = "not-an-address";
  auto servers = ServerMembers({Member("s1", 3), agent, bad});
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].name, "s1");
  EXPECT_EQ(servers[0].raft_id, raft::IdFromNodeName("s1"));
  EXPECT_EQ(servers[0].raft_addr, "127.0.0.1:8191");
  EXPECT_EQ(servers[0].expect, 3);
  EXPECT_EQ(servers[1].raft_addr, "") << "an unusable raft_addr is dropped";
}

TEST(PlanBootstrap, WaitsUntilExpectAliveServersOfTheRegion) {
  auto d = PlanBootstrap(
      "global", 3,
      ServerMembers({Member("s1", 3), Member("s2", 3),
                     Member("s3", 3, "global", MemberState::kFailed), Member("s4", 3, "eu")}));
  EXPECT_EQ(d.kind, Kind::kWait);
  EXPECT_NE(d.reason.find("have 2"), std::string::npos) << d.reason;
}

TEST(PlanBootstrap, ProbesAllServersSortedByName) {
  auto d = PlanBootstrap("global", 3,
                         ServerMembers({Member("s3", 3), Member("s1", 3), Member("s2", 3)}));
  ASSERT_EQ(d.kind, Kind::kProbe);
  ASSERT_EQ(d.servers.size(), 3u);
  EXPECT_EQ(d.servers[0].name, "s1");
  EXPECT_EQ(d.servers[2].name, "s3");
}

TEST(PlanBootstrap, ConflictingExpectOrBootstrapModeRefuses) {
  EXPECT_EQ(PlanBootstrap("global", 3, ServerMembers({Member("s1", 3), Member("s2", 5)})).kind,
            Kind::kConflict);
  MemberInfo alone = Member("s2", 0);
  alone.tags["bootstrap"] = "1";
  EXPECT_EQ(PlanBootstrap("global", 3, ServerMembers({Member("s1", 3), alone})).kind,
            Kind::kConflict);
  // A server started without bootstrap-expect is no founding member: the
  // leader adds it later.
  EXPECT_EQ(PlanBootstrap("global", 2, ServerMembers({Member("s1", 2), Member("s2", 0)})).kind,
            Kind::kWait);
}

}  // namespace
}  // namespace ckron::node
