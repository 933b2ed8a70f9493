#include "node/reconcile.h"

#include <gtest/gtest.h>

#include "raft/options.h"

namespace ckron::node {
namespace {

using membership::MemberState;
using Kind = ReconcileAction::Kind;

ServerMember Server(const std::string& name, const std::string& addr,
                    MemberState status = MemberState::kAlive,
                    const std::string& region = "global") {
  return {.name = name,
          .raft_id = raft::IdFromNodeName(name),
          .raft_addr = addr,
          .rpc_addr = "",
          .region = region,
          .status = status};
}

raft::Server Voter(const std::string& name, const std::string& addr) {
  return {raft::IdFromNodeName(name), addr, raft::Role::kVoter};
}

ReconcileInput Base() {
  ReconcileInput in;
  in.self = raft::IdFromNodeName("s1");
  in.region = "global";
  in.configuration = {Voter("s1", "10.0.0.1:8190"), Voter("s2", "10.0.0.2:8190")};
  in.servers = {Server("s1", "10.0.0.1:8190"), Server("s2", "10.0.0.2:8190")};
  return in;
}

TEST(Reconcile, MatchingSidesNeedNothing) {
  EXPECT_TRUE(PlanReconcile(Base()).empty());
}

TEST(Reconcile, AliveServerOfTheRegionIsAddedAsVoter) {
  auto in = Base();
  in.servers.push_back(Server("s3", "10.0.0.3:8190"));
  auto plan = PlanReconcile(in);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].kind, Kind::kAddVoter);
  EXPECT_EQ(plan[0].id, raft::IdFromNodeName("s3"));
  EXPECT_EQ(plan[0].address, "10.0.0.3:8190");
}

TEST(Reconcile, ServersOfOtherRegionsOrWithoutRaftAddressAreNotAdded) {
  auto in = Base();
  in.servers.push_back(Server("eu1", "10.0.0.4:8190", MemberState::kAlive, "eu"));
  in.servers.push_back(Server("dkron", ""));  // e.g. a real Dkron server
  EXPECT_TRUE(PlanReconcile(in).empty());
}

TEST(Reconcile, SpareLeftByAFailedCatchUpIsPromoted) {
  auto in = Base();
  in.configuration.push_back({raft::IdFromNodeName("s3"), "10.0.0.3:8190", raft::Role::kSpare});
  in.servers.push_back(Server("s3", "10.0.0.3:8190"));
  auto plan = PlanReconcile(in);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].kind, Kind::kAddVoter);
}

TEST(Reconcile, ServerThatLeftIsRemoved) {
  auto in = Base();
  in.servers[1].status = MemberState::kLeft;
  auto plan = PlanReconcile(in);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].kind, Kind::kRemove);
  EXPECT_EQ(plan[0].id, raft::IdFromNodeName("s2"));
}

TEST(Reconcile, FailedServerStaysUntilReaped) {
  auto in = Base();
  in.servers[1].status = MemberState::kFailed;
  EXPECT_TRUE(PlanReconcile(in).empty());
  // Reaped: gossip forgot it.
  in.servers.pop_back();
  EXPECT_TRUE(PlanReconcile(in).empty()) << "unknown without a reap: keep";
  in.reaped.insert(raft::IdFromNodeName("s2"));
  auto plan = PlanReconcile(in);
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].kind, Kind::kRemove);
}

TEST(Reconcile, NeverRemovesItself) {
  auto in = Base();
  in.servers[0].status = MemberState::kLeft;
  in.reaped.insert(in.self);
  EXPECT_TRUE(PlanReconcile(in).empty());
}

TEST(Reconcile, ReusedAddressRemovesTheOldServerFirst) {
  auto in = Base();
  // s2's machine came back as s4 at the same address.
  in.servers[1] = Server("s4", "10.0.0.2:8190");
  auto plan = PlanReconcile(in);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].kind, Kind::kRemove);
  EXPECT_EQ(plan[0].id, raft::IdFromNodeName("s2"));
  EXPECT_EQ(plan[1].kind, Kind::kAddVoter);
  EXPECT_EQ(plan[1].id, raft::IdFromNodeName("s4"));
}

TEST(Reconcile, ChangedAddressIsRemovedThenAdded) {
  auto in = Base();
  in.servers[1].raft_addr = "10.0.0.22:8190";
  auto plan = PlanReconcile(in);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].kind, Kind::kRemove);
  EXPECT_EQ(plan[1].kind, Kind::kAddVoter);
  EXPECT_EQ(plan[1].address, "10.0.0.22:8190");
}

TEST(Reconcile, AServerClaimingOurAddressIsNotAdded) {
  auto in = Base();
  in.servers.push_back(Server("imposter", "10.0.0.1:8190"));
  EXPECT_TRUE(PlanReconcile(in).empty());
}

}  // namespace
}  // namespace ckron::node
