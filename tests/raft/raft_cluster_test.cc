// Real processes on 127.0.0.1: clusters of ckron_raft_driver (one raft::Node
// each, real disk and TCP), killed with SIGKILL, restarted, grown, shrunk and
// recovered from peers.json. Every wait polls with a deadline; nothing
// asserts on timing. Every process is killed by PID when the test ends.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "raft/testing/driver_cluster.h"
#include "raft/testing/line_client.h"
#include "raft/testing/test_env.h"

namespace ckron::raft::testing {
namespace {

using namespace std::chrono_literals;

class RaftClusterTest : public ::testing::Test {
 protected:
  void Make(ClusterOptions o = {}) {
    o.driver = CKRON_RAFT_DRIVER;
    o.root = dir_.path();
    cluster_ = std::make_unique<DriverCluster>(o);
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::cerr << cluster_->Describe();
    cluster_.reset();  // kills every driver
  }

  // Polls node i until GET key returns value.
  bool HasValue(int i, const std::string& key, const std::string& value,
                std::chrono::milliseconds timeout = 20s) {
    return WaitFor(
        [&] {
          auto r = cluster_->Call(i, "GET " + key, 2s);
          return r.ok() && *r == "VAL " + value;
        },
        timeout, 10ms);
  }

  // Keys node i lacks out of `keys` (each expected with value "v").
  std::vector<std::string> Missing(int i, const std::vector<std::string>& keys) {
    std::vector<std::string> missing;
    auto c = LineClient::Connect(cluster_->client_port(i), 2s);
    if (!c.ok()) return keys;
    std::string batch;
    for (const auto& k : keys) batch += (batch.empty() ? "" : "\n") + ("GET " + k);
    if (!keys.empty() && !c->Send(batch).ok()) return keys;
    for (const auto& k : keys) {
      auto r = c->ReadLine(10s);
      if (!r.ok() || *r != "VAL v") missing.push_back(k);
    }
    return missing;
  }

  bool CaughtUp(int i, const std::vector<std::string>& keys,
                std::chrono::milliseconds timeout = 30s) {
    return WaitFor([&] { return Missing(i, keys).empty(); }, timeout, 50ms);
  }

  TempDir dir_{"ckron-raft-it"};
  std::unique_ptr<DriverCluster> cluster_;
};

TEST_F(RaftClusterTest, ThreeNodesFormAClusterAndAWriteIsVisibleOnAll) {
  Make();
  ASSERT_TRUE(cluster_->StartCluster(3).ok());
  ASSERT_GE(cluster_->WaitForLeader(20s), 0);
  auto put = cluster_->Put("greeting", "hello");
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(HasValue(i, "greeting", "hello")) << cluster_->name(i);
  const int leader = cluster_->Leader();
  ASSERT_GE(leader, 0);
  auto conf = cluster_->Call(leader, "CONFIG");
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(std::count(conf->begin(), conf->end(), ' '), 3) << *conf;
}

TEST_F(RaftClusterTest, SigkillOfTheLeaderElectsAnotherAndLosesNoAcknowledgedWrite) {
  Make();
  ASSERT_TRUE(cluster_->StartCluster(3).ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) {
    keys.push_back("before" + std::to_string(i));
    ASSERT_TRUE(cluster_->Put(keys.back(), "v").ok());
  }
  const int old = cluster_->Leader();
  ASSERT_GE(old, 0);
  cluster_->Kill(old);
  const int next = cluster_->WaitForLeader(20s, old);
  ASSERT_GE(next, 0) << "no new leader";
  ASSERT_EQ(cluster_->Call(next, "BARRIER").value_or(""), "OK");
  EXPECT_TRUE(Missing(next, keys).empty());
  for (int i = 0; i < 20; ++i) {
    keys.push_back("after" + std::to_string(i));
    ASSERT_TRUE(cluster_->Put(keys.back(), "v").ok());
  }
  // The killed leader comes back and catches up.
  ASSERT_TRUE(cluster_->Start(old, {}).ok());
  EXPECT_TRUE(CaughtUp(old, keys));
  auto st = cluster_->NodeStatus(old);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->order_violations, 0u);
}

TEST_F(RaftClusterTest, RestartedNodeCatchesUpFromASnapshotAfterCompaction) {
  ClusterOptions o;
  o.snapshot_threshold = 32;
  o.snapshot_trailing = 8;
  Make(o);
  ASSERT_TRUE(cluster_->StartCluster(3).ok());
  const int leader = cluster_->WaitForLeader(20s);
  ASSERT_GE(leader, 0);
  const int lagging = (leader + 1) % 3;
  auto before = cluster_->NodeStatus(lagging);
  ASSERT_TRUE(before.ok());
  cluster_->Kill(lagging);

  // Many small entries: one PUT at a time, so each is its own log entry.
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    keys.push_back("snap" + std::to_string(i));
    ASSERT_TRUE(cluster_->Put(keys.back(), "v").ok());
  }
  // The leader's log no longer reaches back to where the lagging node stopped.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto st = cluster_->NodeStatus(cluster_->Leader());
        return st.ok() && st->snapshot_index > before->last_index + 8;
      },
      20s));
  ASSERT_TRUE(cluster_->Start(lagging, {}).ok());
  EXPECT_TRUE(CaughtUp(lagging, keys));
  auto st = cluster_->NodeStatus(lagging);
  ASSERT_TRUE(st.ok());
  EXPECT_GE(st->restores, 1u) << "expected an InstallSnapshot";
  EXPECT_EQ(st->order_violations, 0u);

  // And a node restarted after taking snapshots itself restores from disk.
  cluster_->Kill(lagging);
  ASSERT_TRUE(cluster_->Start(lagging, {}).ok());
  EXPECT_TRUE(CaughtUp(lagging, keys));
}

TEST_F(RaftClusterTest, SigkillDuringOneThousandConcurrentWritesLosesNoAcknowledgedWrite) {
  Make();
  ASSERT_TRUE(cluster_->StartCluster(3).ok());
  ASSERT_GE(cluster_->WaitForLeader(20s), 0);
  const int victim = cluster_->Leader();

  constexpr int kWriters = 8, kEach = 125;
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<int> acked_count{0};
  DriverCluster* cluster = cluster_.get();
  auto writer = [&](int w) {
    std::map<int, LineClient> clients;
    int target = 0;
    for (int k = 0; k < kEach; ++k) {
      const std::string key = "w" + std::to_string(w) + "k" + std::to_string(k);
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (std::chrono::steady_clock::now() < deadline) {
        LineClient& c = clients[target];
        if (!c.connected()) {
          auto nc = LineClient::Connect(cluster->client_port(target), 200ms);
          if (!nc.ok()) {
            target = (target + 1) % 3;
            continue;
          }
          c = std::move(nc).value();
        }
        auto r = c.Call("PUT " + key + " v", 5s);
        if (r.ok() && r->rfind("OK", 0) == 0) {
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(key);
          ++acked_count;
          break;
        }
        int next = -1;
        if (r.ok() && r->rfind("ERR not_leader ", 0) == 0) {
          std::istringstream in(*r);
          std::string e, code, hint;
          in >> e >> code >> hint;
          next = cluster->IndexOfRaftAddress(hint);
        }
        if (next < 0) {
          std::this_thread::sleep_for(5ms);
          next = (target + 1) % 3;
        }
        target = next;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  ASSERT_TRUE(WaitFor([&] { return acked_count.load() >= 300; }, 60s));
  cluster_->Kill(victim);
  for (auto& t : threads) t.join();
  EXPECT_EQ(acked.size(), static_cast<std::size_t>(kWriters * kEach))
      << "writers gave up on some keys";

  ASSERT_TRUE(cluster_->Start(victim, {}).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(CaughtUp(i, acked))
        << cluster_->name(i) << " misses " << Missing(i, acked).size() << " acknowledged writes";
  }
}

TEST_F(RaftClusterTest, FourthNodeJoinsAsVoter) {
  Make();
  ASSERT_TRUE(cluster_->StartCluster(3).ok());
  ASSERT_TRUE(cluster_->Put("early", "v").ok());
  const int fourth = cluster_->AddSlot();
  ASSERT_TRUE(cluster_->Start(fourth, {}).ok());  // empty: waits to be added
  const int leader = cluster_->WaitForLeader(20s);
  ASSERT_GE(leader, 0);
  auto added = cluster_->Call(
      leader, "ADD " + cluster_->name(fourth) + " " + cluster_->raft_address(fourth), 60s);
  ASSERT_TRUE(added.ok());
  ASSERT_EQ(*added, "OK");
  auto conf = cluster_->Call(leader, "CONFIG");
  ASSERT_TRUE(conf.ok());
  EXPECT_NE(conf->find(cluster_->raft_address(fourth) + "=voter"), std::string::npos) << *conf;
  EXPECT_TRUE(HasValue(fourth, "early", "v"));
  ASSERT_TRUE(cluster_->Put("late", "v").ok());
  EXPECT_TRUE(HasValue(fourth, "late", "v"));
}

TEST_F(RaftClusterTest, RemoveServerRemovesOne) {
  Make();
  ASSERT_TRUE(cluster_->StartCluster(3).ok());
  const int leader = cluster_->WaitForLeader(20s);
  ASSERT_GE(leader, 0);
  const int gone = (leader + 1) % 3;
  auto removed = cluster_->Call(leader, "REMOVE " + cluster_->name(gone), 30s);
  ASSERT_TRUE(removed.ok());
  ASSERT_EQ(*removed, "OK");
  auto conf = cluster_->Call(leader, "CONFIG");
  ASSERT_TRUE(conf.ok());
  EXPECT_EQ(conf->find(cluster_->raft_address(gone)), std::string::npos) << *conf;
  // The remaining two are a full quorum of the new configuration.
  cluster_->Kill(gone);
  ASSERT_TRUE(cluster_->Put("two", "v").ok());
  auto missing = cluster_->Call(leader, "REMOVE " + cluster_->name(gone), 10s);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->rfind("ERR not_found", 0), 0u) << *missing;
}

TEST_F(RaftClusterTest, PeersJsonRecoversAfterLosingTwoOfThree) {
  Make();
  ASSERT_TRUE(cluster_->StartCluster(3).ok());
  std::vector<std::string> keys;
  for (int i = 0; i < 30; ++i) {
    keys.push_back("kept" + std::to_string(i));
    ASSERT_TRUE(cluster_->Put(keys.back(), "v").ok());
  }
  const int survivor = 0;
  ASSERT_TRUE(CaughtUp(survivor, keys));
  cluster_->Kill(1);
  cluster_->Kill(2);
  // No quorum: nothing can be written.
  EXPECT_FALSE(cluster_->Put("doomed", "v", 2s).ok());

  // Operator procedure (docs/raft.md): stop the survivor, write peers.json
  // naming only the servers that are left, start it.
  ASSERT_TRUE(cluster_->Terminate(survivor));
  {
    std::ofstream out(cluster_->data_dir(survivor) / "raft" / "peers.json");
    out << "[{\"id\": \"" << cluster_->name(survivor) << "\", \"address\": \""
        << cluster_->raft_address(survivor) << "\", \"non_voter\": false}]\n";
  }
  ASSERT_TRUE(cluster_->Start(survivor, {}).ok());
  ASSERT_EQ(cluster_->WaitForLeader(20s), survivor);
  EXPECT_TRUE(
      std::filesystem::exists(cluster_->data_dir(survivor) / "raft" / "peers.json.applied"));
  EXPECT_FALSE(std::filesystem::exists(cluster_->data_dir(survivor) / "raft" / "peers.json"));
  ASSERT_EQ(cluster_->Call(survivor, "BARRIER").value_or(""), "OK");
  EXPECT_TRUE(Missing(survivor, keys).empty());
  ASSERT_TRUE(cluster_->Put("recovered", "v").ok());

  // It restarts normally afterwards (peers.json applied once).
  ASSERT_TRUE(cluster_->Terminate(survivor));
  ASSERT_TRUE(cluster_->Start(survivor, {}).ok());
  ASSERT_EQ(cluster_->WaitForLeader(20s), survivor);
  EXPECT_TRUE(HasValue(survivor, "recovered", "v"));
}

}  // namespace
}  // namespace ckron::raft::testing
