// The live streams on a real 3-server cluster with API auth on (bearer
// token): a follower's output stream follows a running job's output as the
// leader has it (Cluster.LiveOutput over the servers' gRPC channel, so the
// API's auth plays no part between servers), and `event: leader` on
// GET /v1/events names the new leader after the old one is killed. Waits
// poll with deadlines; nothing asserts on timing.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "api_harness.h"
#include "curl_client.h"
#include "nlohmann/json.hpp"
#include "shared_cluster_test.h"

namespace ckron::testing {
namespace {

using nlohmann::json;

constexpr char kToken[] = "stream-test-token";

class ClusterStreamTest : public SharedApiClusterTest<ClusterStreamTest> {
 public:
  static std::unique_ptr<ApiCluster> MakeCluster() {
    return std::make_unique<ApiCluster>(
        3, std::vector<std::string>{"--auth-tokens", "test:" + HashSecret(kToken)});
  }

 protected:
  static HttpReply Call(int node, const std::string& method, const std::string& target,
                        const std::string& body = "") {
    return Http(cluster_->http(node), method, target, body,
                {{"authorization", std::string("Bearer ") + kToken}});
  }
  // An EventSource-style stream: the token in the query.
  static std::unique_ptr<SseClient> Open(int node, const std::string& target) {
    const char sep = target.find('?') == std::string::npos ? '?' : '&';
    auto s = std::make_unique<SseClient>("http://" + cluster_->http(node) + target + sep +
                                         "access_token=" + kToken);
    EXPECT_TRUE(s->WaitFor([&](const auto&) { return s->bytes() > 0; }))
        << "stream never opened, status " << s->status();
    EXPECT_EQ(s->status(), 200);
    return s;
  }
  // Creates `job` through `node`, runs it, and returns its execution id once
  // `node` lists it ("" if it never does).
  static std::string CreateAndRun(int node, const json& job) {
    const std::string name = job["name"];
    EXPECT_EQ(Call(node, "POST", "/v1/jobs", job.dump()).status, 201);
    EXPECT_EQ(Call(node, "POST", "/v1/jobs/" + name + "/run").status, 200);
    std::string id;
    Eventually(
        [&] {
          const HttpReply r = Call(node, "GET", "/v1/jobs/" + name + "/executions");
          if (r.status != 200) return false;
          const json list = json::parse(r.body);
          if (!list.is_array() || list.empty()) return false;
          id = list.back()["id"];
          return true;
        },
        10s);
    return id;
  }
  // The index of the leader once one leads, or -1.
  static int WaitForLeader() {
    int leader = -1;
    Eventually([&] {
      for (int i = 0; i < cluster_->size(); ++i) {
        if (cluster_->Running(i) && Call(i, "GET", "/v1/isleader").status == 200) leader = i;
      }
      return leader >= 0;
    });
    return leader;
  }
};

TEST_F(ClusterStreamTest, AFollowersOutputStreamFollowsTheRunLive) {
  const int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % cluster_->size();
  // A line every 200 ms for 2 s.
  const json job = {{"name", "ticker"},
                    {"schedule", "@manually"},
                    {"executor", "shell"},
                    {"executor_config",
                     {{"command", "for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; sleep 0.2; done"},
                      {"shell", "true"}}}};
  const std::string id = CreateAndRun(follower, job);
  ASSERT_FALSE(id.empty()) << "the run never showed up";

  auto s = Open(follower, "/v1/jobs/ticker/executions/" + id + "/output");
  const int done = s->WaitForEvent("done", 0, 30s);
  ASSERT_GE(done, 0) << "no done event";
  const auto events = s->events();
  std::string streamed;
  int outputs = 0;
  for (int i = 0; i < done; ++i) {
    EXPECT_EQ(events[static_cast<std::size_t>(i)].event, "output")
        << events[static_cast<std::size_t>(i)].data;
    if (events[static_cast<std::size_t>(i)].event != "output") continue;
    ++outputs;
    streamed += json::parse(events[static_cast<std::size_t>(i)].data)["chunk"];
  }
  std::string all;
  for (int i = 1; i <= 10; ++i) all += "line" + std::to_string(i) + "\n";
  // Live: the lines came in several pieces before `done`, not all at once
  // with it.
  EXPECT_GE(outputs, 2) << "output events before done: " << outputs << "\n" << streamed;
  std::cout << "follower stream: " << outputs << " output events before done\n";
  EXPECT_EQ(streamed, all);
  const json execution = json::parse(events[static_cast<std::size_t>(done)].data);
  EXPECT_EQ(execution["id"], id);
  EXPECT_EQ(execution["output"], all);
  EXPECT_EQ(execution["success"], true);
  ASSERT_TRUE(s->WaitFor([&](const auto&) { return s->finished(); }));
}

TEST_F(ClusterStreamTest, LeaderEventNamesTheNewLeaderAfterTheOldOneIsKilled) {
  const int old_leader = WaitForLeader();
  ASSERT_GE(old_leader, 0);
  const int follower = (old_leader + 1) % cluster_->size();
  auto s = Open(follower, "/v1/events");
  ASSERT_EQ(s->WaitForEvent("leader"), 0) << "the first event is not the leader";
  const json first = json::parse(s->events()[0].data);
  EXPECT_EQ(first["leader"], cluster_->name(old_leader)) << first;
  const int old_term = first["term"].get<int>();
  EXPECT_GE(old_term, 1);

  const auto killed = std::chrono::steady_clock::now();
  cluster_->Kill(old_leader);
  json next;
  ASSERT_TRUE(s->WaitFor(
      [&](const std::vector<SseMessage>& ev) {
        for (std::size_t i = 1; i < ev.size(); ++i) {
          if (ev[i].event != "leader") continue;
          const json v = json::parse(ev[i].data);
          if (v["leader"].is_string() && v["leader"] != cluster_->name(old_leader)) {
            next = v;
            return true;
          }
        }
        return false;
      },
      60s))
      << cluster_->Describe();
  std::cout << "kill -> leader event naming " << next["leader"] << ": "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - killed)
                   .count()
            << " ms\n";
  EXPECT_GT(next["term"].get<int>(), old_term) << next;
  const int new_leader = WaitForLeader();
  ASSERT_GE(new_leader, 0);
  EXPECT_EQ(next["leader"], cluster_->name(new_leader));
  // Every leader event in order: terms never go back.
  int term = 0;
  for (const SseMessage& m : s->events()) {
    if (m.event != "leader") continue;
    const int t = json::parse(m.data)["term"].get<int>();
    EXPECT_GE(t, term) << m.data;
    term = t;
  }
  // A client connecting now learns the new leader at once.
  auto late = Open(follower, "/v1/events");
  ASSERT_EQ(late->WaitForEvent("leader"), 0);
  EXPECT_EQ(json::parse(late->events()[0].data)["leader"], cluster_->name(new_leader));
}

// A fresh cluster (the test above leaves only two servers).
class ClusterStreamFailoverTest : public ClusterStreamTest {};

TEST_F(ClusterStreamFailoverTest, AFollowersStreamEndsWithTheStoredOutputWhenTheLeaderDies) {
  const int leader = WaitForLeader();
  ASSERT_GE(leader, 0);
  const int follower = (leader + 1) % cluster_->size();
  // Run on the follower (its `port` tag, the RPC port, is unique here), so
  // the run outlives the leader; ~4 s of output, a line every 200 ms.
  std::string port;
  const json members = json::parse(Call(follower, "GET", "/v1/members").body);
  for (const json& m : members) {
    if (m["Name"] == cluster_->name(follower)) port = m["Tags"].value("port", "");
  }
  ASSERT_FALSE(port.empty()) << members;
  const json job = {
      {"name", "longer"},
      {"schedule", "@manually"},
      {"executor", "shell"},
      {"tags", {{"port", port}}},
      {"executor_config",
       {{"command", "for i in $(seq 1 20); do echo line$i; sleep 0.2; done"}, {"shell", "true"}}}};
  const std::string id = CreateAndRun(follower, job);
  ASSERT_FALSE(id.empty()) << "the run never showed up";
  auto s = Open(follower, "/v1/jobs/longer/executions/" + id + "/output");
  ASSERT_GE(s->WaitForEvent("output", 0, 10s), 0) << "no live output before the kill";
  cluster_->Kill(leader);

  const int done = s->WaitForEvent("done", 0, 60s);
  ASSERT_GE(done, 0) << "no done event after the leader died\n" << cluster_->Describe();
  const auto events = s->events();
  std::string streamed;
  for (int i = 0; i < done; ++i) {
    const SseMessage& m = events[static_cast<std::size_t>(i)];
    EXPECT_EQ(m.event, "output") << m.data;
    if (m.event == "output") streamed += json::parse(m.data)["chunk"];
  }
  std::string all;
  for (int i = 1; i <= 20; ++i) all += "line" + std::to_string(i) + "\n";
  EXPECT_EQ(streamed, all);
  const json execution = json::parse(events[static_cast<std::size_t>(done)].data);
  EXPECT_EQ(execution["output"], all);
  ASSERT_TRUE(s->WaitFor([&](const auto&) { return s->finished(); }));
}

}  // namespace
}  // namespace ckron::testing
