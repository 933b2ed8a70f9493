#include "rpc/server.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>

#include "rpc/admin_client.h"
#include "rpc/agent_service.h"

namespace ckron::rpc {
namespace {

using ::testing::HasSubstr;

class FakeRaftAdmin final : public ckron::v1::RaftAdmin::Service {
 public:
  grpc::Status ListPeers(grpc::ServerContext*, const ckron::v1::ListPeersRequest*,
                         ckron::v1::ListPeersResponse* resp) override {
    auto* p = resp->add_peers();
    p->set_id("n1");
    p->set_node("node-1");
    p->set_address("127.0.0.1:8190");
    p->set_state(ckron::v1::PEER_STATE_LEADER);
    p->set_voter(true);
    p = resp->add_peers();
    p->set_id("n2");
    p->set_node("node-2");
    p->set_address("127.0.0.1:8191");
    p->set_state(ckron::v1::PEER_STATE_FOLLOWER);
    p->set_voter(false);
    return grpc::Status::OK;
  }
  grpc::Status RemovePeer(grpc::ServerContext*, const ckron::v1::RemovePeerRequest* req,
                          ckron::v1::RemovePeerResponse*) override {
    if (req->id() == "n2") return grpc::Status::OK;
    return {grpc::StatusCode::NOT_FOUND, "no peer " + req->id()};
  }
};

const CallOptions kQuick{.timeout = absl::Seconds(5)};

TEST(RpcServer, ServesLeaveOnAPickedPort) {
  std::atomic<int> leaves{0};
  AgentService agent([&] { ++leaves; });
  auto server = RpcServer::Start({.address = "127.0.0.1:0"}, {&agent});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_GT((*server)->port(), 0);
  EXPECT_EQ((*server)->address(), "127.0.0.1:" + std::to_string((*server)->port()));
  EXPECT_TRUE(RequestLeave((*server)->address(), kQuick).ok());
  EXPECT_EQ(leaves.load(), 1);
}

TEST(RpcServer, AgentWithoutRaftAdminAnswersFailedPrecondition) {
  AgentService agent([] {});
  auto server = RpcServer::Start({.address = "127.0.0.1:0"}, {&agent});
  ASSERT_TRUE(server.ok());
  const std::string addr = (*server)->address();
  auto peers = ListRaftPeers(addr, kQuick);
  ASSERT_FALSE(peers.ok());
  EXPECT_EQ(peers.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(peers.status().message(),
            "the agent at " + addr +
                " does not serve Raft (it is not a server, or Raft has not started)");
  EXPECT_EQ(RemoveRaftPeer(addr, "x", kQuick).code(), StatusCode::kFailedPrecondition);
}

TEST(RpcServer, RaftAdminClientRoundTrip) {
  FakeRaftAdmin raft;
  auto server = RpcServer::Start({.address = "127.0.0.1:0"}, {&raft});
  ASSERT_TRUE(server.ok());
  auto peers = ListRaftPeers((*server)->address(), kQuick);
  ASSERT_TRUE(peers.ok()) << peers.status().ToString();
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[0].id, "n1");
  EXPECT_EQ((*peers)[0].node, "node-1");
  EXPECT_TRUE((*peers)[0].leader);
  EXPECT_TRUE((*peers)[0].voter);
  EXPECT_FALSE((*peers)[1].leader);
  EXPECT_FALSE((*peers)[1].voter);
  EXPECT_TRUE(RemoveRaftPeer((*server)->address(), "n2", kQuick).ok());
  Status s = RemoveRaftPeer((*server)->address(), "n9", kQuick);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("no peer n9"));
}

TEST(RpcServer, SecondServerOnTheSamePortFailsWithTheReason) {
  AgentService a([] {}), b([] {});
  auto first = RpcServer::Start({.address = "127.0.0.1:0"}, {&a});
  ASSERT_TRUE(first.ok());
  auto second = RpcServer::Start({.address = (*first)->address()}, {&b});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("cannot listen on " + (*first)->address()));
  EXPECT_THAT(second.status().message(), HasSubstr("in use"));
}

TEST(RpcServer, UnreachableAgentIsUnavailable) {
  int port = 0;
  {
    AgentService a([] {});
    auto s = RpcServer::Start({.address = "127.0.0.1:0"}, {&a});
    ASSERT_TRUE(s.ok());
    port = (*s)->port();
  }  // closed again: nothing listens there now
  Status st = RequestLeave("127.0.0.1:" + std::to_string(port), kQuick);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("cannot reach the agent at 127.0.0.1:"));
}

TEST(RpcServer, ShutdownIsIdempotent) {
  AgentService a([] {});
  auto s = RpcServer::Start({.address = "127.0.0.1:0", .shutdown_grace = absl::Seconds(1)}, {&a});
  ASSERT_TRUE(s.ok());
  (*s)->Shutdown();
  (*s)->Shutdown();
}

}  // namespace
}  // namespace ckron::rpc
