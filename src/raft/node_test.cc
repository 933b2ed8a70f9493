// raft::Node for real, inside one process: the libuv loop thread, libraft's
// disk I/O in a temporary directory and its TCP transport on 127.0.0.1.
// Multi-process behaviour (SIGKILL, restarts, joins) is in tests/raft/.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "raft/peers_file.h"
#include "raft/raft.h"
#include "raft/testing/kv_state_machine.h"
#include "raft/testing/test_env.h"

namespace ckron::raft {
namespace {

using namespace std::chrono_literals;
using testing::FreeTcpPort;
using testing::KvStateMachine;
using testing::TempDir;
using testing::WaitFor;

struct TestNode {
  TestNode(const std::string& name, const std::filesystem::path& dir, std::uint16_t port,
           Options base = {}) {
    base.node_name = name;
    base.address = "127.0.0.1:" + std::to_string(port);
    base.data_dir = dir / name;
    options = base;
    Recreate();
  }
  // A fresh state machine and Node on the same directory: a restart.
  void Recreate() {
    node.reset();
    sm = std::make_unique<KvStateMachine>(8);
    auto n = Node::Create(options, sm.get());
    CKRON_CHECK(n.ok());
    node = std::move(n).value();
    node->AddLeadershipListener([this](const LeadershipEvent& e) {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(e);
    });
  }
  Server self() const { return Server{node->id(), options.address, Role::kVoter}; }
  std::vector<LeadershipEvent> Events() {
    std::lock_guard<std::mutex> lock(mu);
    return events;
  }

  // Destroyed bottom-up: the node (whose Stop publishes kLost) goes first.
  Options options;
  std::mutex mu;
  std::vector<LeadershipEvent> events;
  std::unique_ptr<KvStateMachine> sm;
  std::unique_ptr<Node> node;
};

Result<Applied> Get(std::future<Result<Applied>> f) {
  if (f.wait_for(20s) != std::future_status::ready) return Status::Timeout("future not ready");
  return f.get();
}

TEST(Node, CreateValidatesOptions) {
  KvStateMachine sm;
  Options o;
  EXPECT_EQ(Node::Create(o, &sm).status().code(), StatusCode::kInvalidArgument);
  o.node_name = "n";
  o.address = "127.0.0.1";
  o.data_dir = "/tmp/never-used";
  EXPECT_EQ(Node::Create(o, nullptr).status().code(), StatusCode::kInvalidArgument);
  auto n = Node::Create(o, &sm);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)->id(), IdFromNodeName("n"));
  // Not started: nothing is accepted, nothing hangs.
  EXPECT_EQ((*n)->Propose("put a b").get().status().code(), StatusCode::kCancelled);
  EXPECT_EQ((*n)->Barrier().get().code(), StatusCode::kCancelled);
}

TEST(Node, SingleNodeElectsItselfAppliesAndStops) {
  TempDir dir;
  TestNode n("solo", dir.path(), FreeTcpPort());
  ASSERT_TRUE(n.node->Bootstrap({n.self()}).ok());
  ASSERT_TRUE(n.node->Start().ok());
  EXPECT_EQ(n.node->Start().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(WaitFor([&] { return n.node->IsLeader(); }, 10s));
  ASSERT_TRUE(n.node->Barrier().get().ok());

  std::vector<std::future<Result<Applied>>> fs;
  for (int i = 0; i < 500; ++i) fs.push_back(n.node->Propose("put k" + std::to_string(i) + " v"));
  LogIndex last;
  for (auto& f : fs) {
    auto r = Get(std::move(f));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GE(r->index, last);
    last = r->index;
  }
  EXPECT_EQ(n.sm->Size(), 500u);
  EXPECT_EQ(n.sm->order_violations(), 0u);
  const NodeInfo info = n.node->Info();
  EXPECT_EQ(info.state, State::kLeader);
  ASSERT_TRUE(info.leader.has_value());
  EXPECT_EQ(info.leader->address, n.options.address);
  ASSERT_EQ(n.node->Configuration().size(), 1u);

  n.node->Stop();
  n.node->Stop();  // idempotent
  const auto ev = n.Events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, LeadershipEvent::Kind::kGained);
  EXPECT_EQ(ev[1].kind, LeadershipEvent::Kind::kLost);
  EXPECT_EQ(n.node->Propose("put late 1").get().status().code(), StatusCode::kCancelled);
}

TEST(Node, AStoppedNodeIsNotStartedAgain) {
  // Starting again would replay the log into a state machine that already
  // holds it: restarts use a new Node and a fresh state machine.
  TempDir dir;
  TestNode n("once", dir.path(), FreeTcpPort());
  ASSERT_TRUE(n.node->Bootstrap({n.self()}).ok());
  ASSERT_TRUE(n.node->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return n.node->IsLeader(); }, 10s));
  n.node->Stop();
  EXPECT_EQ(n.node->Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(n.node->Propose("put a b").get().status().code(), StatusCode::kCancelled);
}

TEST(Node, RestartRestoresSnapshotAndReplaysTheLog) {
  TempDir dir;
  Options o;
  o.snapshot_threshold = 16;
  o.snapshot_trailing = 4;
  o.max_batch_commands = 1;
  TestNode n("restart", dir.path(), FreeTcpPort(), o);
  ASSERT_TRUE(n.node->Bootstrap({n.self()}).ok());
  ASSERT_TRUE(n.node->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return n.node->IsLeader(); }, 10s));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(Get(n.node->Propose("put k" + std::to_string(i) + " v" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return n.node->Info().snapshot_index.value() > 0; }, 10s));
  const auto before = n.sm->Contents();
  n.node->Stop();

  n.Recreate();
  ASSERT_TRUE(n.node->Bootstrap({n.self()}).ok());  // already bootstrapped: ignored
  const Status started = n.node->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_GE(n.sm->restores(), 1u);
  ASSERT_TRUE(WaitFor([&] { return n.node->IsLeader(); }, 10s));
  ASSERT_TRUE(n.node->Barrier().get().ok());
  EXPECT_EQ(n.sm->Contents(), before);
  EXPECT_EQ(n.sm->order_violations(), 0u);
}

TEST(Node, ThreeNodesReplicateAndFollowersPointAtTheLeader) {
  TempDir dir;
  std::vector<std::unique_ptr<TestNode>> nodes;
  std::vector<Server> conf;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(std::make_unique<TestNode>("n" + std::to_string(i), dir.path(), FreeTcpPort()));
    conf.push_back(nodes.back()->self());
  }
  for (auto& n : nodes) ASSERT_TRUE(n->node->Bootstrap(conf).ok());
  for (auto& n : nodes) ASSERT_TRUE(n->node->Start().ok());
  TestNode* leader = nullptr;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (auto& n : nodes) {
          if (n->node->IsLeader()) leader = n.get();
        }
        return leader != nullptr;
      },
      20s));
  auto r = Get(leader->node->Propose("put x 42"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (auto& n : nodes) {
    ASSERT_TRUE(WaitFor([&] { return n->sm->Get("x") == "42"; }, 10s));
    EXPECT_EQ(n->node->Configuration().size(), 3u);
  }
  for (auto& n : nodes) {
    if (n.get() == leader) continue;
    ASSERT_TRUE(WaitFor([&] { return n->node->Leader().has_value(); }, 10s));
    const auto st = Get(n->node->Propose("put y 1")).status();
    EXPECT_EQ(st.code(), StatusCode::kNotLeader);
    EXPECT_EQ(st.leader_hint(), leader->options.address);
  }
  for (auto& n : nodes) n->node->Stop();
}

TEST(Node, StopCompletesEveryPendingFuture) {
  TempDir dir;
  TestNode n("stopper", dir.path(), FreeTcpPort());
  ASSERT_TRUE(n.node->Bootstrap({n.self()}).ok());
  ASSERT_TRUE(n.node->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return n.node->IsLeader(); }, 10s));
  std::vector<std::future<Result<Applied>>> fs;
  for (int i = 0; i < 5000; ++i) fs.push_back(n.node->Propose("put s" + std::to_string(i) + " 1"));
  auto barrier = n.node->Barrier();
  n.node->Stop();
  int ok = 0;
  for (auto& f : fs) {
    ASSERT_EQ(f.wait_for(0s), std::future_status::ready);
    const auto r = f.get();
    if (r.ok()) {
      ++ok;
    } else {
      const StatusCode c = r.status().code();
      EXPECT_TRUE(c == StatusCode::kCancelled || c == StatusCode::kOutcomeUnknown ||
                  c == StatusCode::kResourceExhausted)
          << r.status().ToString();
    }
  }
  EXPECT_EQ(static_cast<std::size_t>(ok), n.sm->applied());
  ASSERT_EQ(barrier.wait_for(0s), std::future_status::ready);
}

TEST(Node, BootstrapWhileRunningOnAPristineNode) {
  TempDir dir;
  TestNode n("late", dir.path(), FreeTcpPort());
  ASSERT_TRUE(n.node->Start().ok());  // no configuration: waits to be added
  EXPECT_EQ(Get(n.node->Propose("put a 1")).status().code(), StatusCode::kNotLeader);
  ASSERT_TRUE(n.node->Bootstrap({n.self()}).ok());
  ASSERT_TRUE(WaitFor([&] { return n.node->IsLeader(); }, 10s));
  EXPECT_TRUE(Get(n.node->Propose("put a 1")).ok());
  // Now it has state: a second bootstrap is a no-op.
  EXPECT_TRUE(n.node->Bootstrap({n.self()}).ok());
  EXPECT_TRUE(n.node->IsLeader());
  n.node->Stop();
}

TEST(Node, PeersJsonRecoversASingleSurvivorOnce) {
  TempDir dir;
  std::vector<std::unique_ptr<TestNode>> nodes;
  std::vector<Server> conf;
  for (int i = 0; i < 3; ++i) {
    nodes.push_back(std::make_unique<TestNode>("p" + std::to_string(i), dir.path(), FreeTcpPort()));
    conf.push_back(nodes.back()->self());
  }
  for (auto& n : nodes) ASSERT_TRUE(n->node->Bootstrap(conf).ok());
  for (auto& n : nodes) ASSERT_TRUE(n->node->Start().ok());
  TestNode* leader = nullptr;
  ASSERT_TRUE(WaitFor(
      [&] {
        for (auto& n : nodes) {
          if (n->node->IsLeader()) leader = n.get();
        }
        return leader != nullptr;
      },
      20s));
  ASSERT_TRUE(Get(leader->node->Propose("put kept 1")).ok());
  TestNode& survivor = *nodes[0];
  ASSERT_TRUE(WaitFor([&] { return survivor.sm->Get("kept") == "1"; }, 10s));
  for (auto& n : nodes) n->node->Stop();

  // Two of three are gone for good: recover node 0 alone.
  const auto raft_dir = survivor.options.data_dir / "raft";
  {
    std::ofstream out(raft_dir / "peers.json");
    out << R"([{"id": "p0", "address": ")" << survivor.options.address << R"("}])";
  }
  survivor.Recreate();
  const Status started = survivor.node->Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  EXPECT_FALSE(std::filesystem::exists(raft_dir / "peers.json"));
  EXPECT_TRUE(std::filesystem::exists(raft_dir / "peers.json.applied"));
  ASSERT_TRUE(WaitFor([&] { return survivor.node->IsLeader(); }, 10s));
  ASSERT_TRUE(survivor.node->Barrier().get().ok());
  EXPECT_EQ(survivor.sm->Get("kept"), "1");
  EXPECT_TRUE(Get(survivor.node->Propose("put after 1")).ok());
  ASSERT_EQ(survivor.node->Configuration().size(), 1u);
  survivor.node->Stop();
}

}  // namespace
}  // namespace ckron::raft
