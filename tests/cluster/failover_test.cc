// Failover with real `ckron agent` servers on 127.0.0.1: SIGKILL of the
// leader elects a new one and loses no acknowledged write; the killed
// server restarts and catches up, from a snapshot once the leader has
// compacted its log; a server killed during 1,000 concurrent writes finds
// every acknowledged write after its restart.
//
// Snapshots: the test hook CKRON_TEST_RAFT_SNAPSHOT_THRESHOLD/_TRAILING
// (docs/operations.md) makes the servers compact their logs after a few
// dozen entries instead of 8192.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "agent_cluster.h"

namespace ckron::testing {
namespace {

// Sets an environment variable for the agents this test starts.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

// Writes `name` through any running server until one acknowledges it.
bool WriteSomewhere(const AgentCluster& c, const std::string& name, int first,
                    const std::vector<int>& servers) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (int attempt = first; std::chrono::steady_clock::now() < deadline; ++attempt) {
    const int i = servers[static_cast<std::size_t>(attempt) % servers.size()];
    if (c.PutJob(i, name, 5s).ok()) return true;
  }
  return false;
}

std::string Missing(const std::set<std::string>& want, const Result<std::set<std::string>>& got) {
  if (!got.ok()) return got.status().ToString();
  std::string out;
  int n = 0;
  for (const std::string& w : want) {
    if (!got->contains(w) && n++ < 10) out += w + " ";
  }
  return n == 0 ? "" : std::to_string(n) + " missing: " + out;
}

TEST(ClusterFailover, LeaderKilled_NewLeaderLosesNoAckedWrite_RestartCatchesUpFromSnapshot) {
  ScopedEnv threshold("CKRON_TEST_RAFT_SNAPSHOT_THRESHOLD", "32");
  ScopedEnv trailing("CKRON_TEST_RAFT_SNAPSHOT_TRAILING", "8");
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();
  std::set<std::string> acked;
  for (int k = 0; k < 40; ++k) {
    const std::string name = "before-" + std::to_string(k);
    ASSERT_TRUE(c.PutJob(k % 3, name).ok()) << name << "\n" << c.Describe();
    acked.insert(name);
  }
  const int old_leader = c.WaitForLeader();
  ASSERT_GE(old_leader, 0);
  auto before = c.ServerStatus(old_leader);
  ASSERT_TRUE(before.ok());
  c.Kill(old_leader);

  const int leader = c.WaitForLeader(30s, old_leader);
  ASSERT_GE(leader, 0) << c.Describe();
  std::vector<int> survivors;
  for (int i = 0; i < 3; ++i) {
    if (i != old_leader) survivors.push_back(i);
  }
  for (int i : survivors) {
    EXPECT_TRUE(Eventually([&] { return Missing(acked, c.JobNames(i)).empty(); }))
        << c.name(i) << ": " << Missing(acked, c.JobNames(i));
  }

  // Enough writes (one entry each) for the leader to snapshot and drop the
  // log the killed server would need.
  for (int k = 0; k < 150; ++k) {
    const std::string name = "after-" + std::to_string(k);
    ASSERT_TRUE(WriteSomewhere(c, name, k, survivors)) << name << "\n" << c.Describe();
    acked.insert(name);
  }
  ASSERT_TRUE(Eventually([&] {
    auto st = c.ServerStatus(c.Leader());
    return st.ok() && st->snapshot_index.value() > before->last_index.value() + 8;
  })) << "the leader never compacted past the killed server's log\n"
      << c.Describe();

  ASSERT_TRUE(c.Start(old_leader, {c.gossip_addr(survivors[0])}).ok()) << c.Log(old_leader);
  EXPECT_TRUE(Eventually([&] { return Missing(acked, c.JobNames(old_leader)).empty(); }, 60s))
      << Missing(acked, c.JobNames(old_leader)) << "\n"
      << c.Describe();
  // It caught up through a snapshot newer than anything it had.
  auto st = c.ServerStatus(old_leader);
  ASSERT_TRUE(st.ok());
  EXPECT_GE(st->snapshots_restored, 1u);
  EXPECT_GT(st->last_restored_index.value(), before->last_index.value()) << c.Log(old_leader);
  EXPECT_TRUE(Eventually([&] { return c.HasVoters(leader, {"n0", "n1", "n2"}); }));
}

TEST(ClusterFailover, ServerKilledDuring1000ConcurrentWrites_EveryAckedWriteSurvivesRestart) {
  AgentCluster c;
  ASSERT_TRUE(c.StartServers(3).ok()) << c.Describe();
  constexpr int kWriters = 8, kPerWriter = 125;
  std::mutex mu;
  std::set<std::string> acked;
  std::atomic<int> done{0}, failed{0};
  const std::vector<int> all = {0, 1, 2};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int k = 0; k < kPerWriter; ++k) {
        const std::string name = "w" + std::to_string(w) + "-" + std::to_string(k);
        if (WriteSomewhere(c, name, w + k, all)) {
          std::lock_guard lock(mu);
          acked.insert(name);
        } else {
          ++failed;
        }
        ++done;
      }
    });
  }
  // Kill the leader mid-way through the writes.
  ASSERT_TRUE(Eventually([&] { return done.load() >= 250; }, 120s));
  const int victim = c.Leader();
  ASSERT_GE(victim, 0);
  c.Kill(victim);
  for (auto& t : writers) t.join();
  EXPECT_EQ(failed.load(), 0) << "writes that no server acknowledged within 60 s";
  EXPECT_EQ(acked.size(), static_cast<std::size_t>(kWriters * kPerWriter));

  std::vector<int> survivors;
  for (int i : all) {
    if (i != victim) survivors.push_back(i);
  }
  ASSERT_TRUE(c.Start(victim, {c.gossip_addr(survivors[0])}).ok()) << c.Log(victim);
  for (int i : all) {
    EXPECT_TRUE(Eventually([&] { return Missing(acked, c.JobNames(i)).empty(); }, 60s))
        << c.name(i) << ": " << Missing(acked, c.JobNames(i)) << "\n"
        << c.Describe();
  }
}

}  // namespace
}  // namespace ckron::testing
