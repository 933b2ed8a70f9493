// The REST API on a 3-server cluster: writes sent to a follower land on the
// leader and replicate, a manual run sent to a follower reaches the
// leader's dispatcher, pause is cluster-wide, and /v1/leave stops a server.
#include <gtest/gtest.h>

#include <set>

#include "api_harness.h"
#include "nlohmann/json.hpp"

namespace ckron::testing {
namespace {

using nlohmann::json;

TEST(ApiClusterTest, FollowersForwardWritesRunsAndPause) {
  ApiCluster c(3);
  ASSERT_TRUE(c.Start().ok()) << c.Describe();
  int leader = -1;
  ASSERT_TRUE(Eventually([&] { return (leader = c.Leader()) >= 0; })) << c.Describe();
  const int follower = (leader + 1) % 3;
  const std::string& f = c.http(follower);

  EXPECT_EQ(Http(f, "GET", "/v1/isleader").status, 404);
  EXPECT_EQ(json::parse(Http(f, "GET", "/v1/leader").body)["Name"], c.name(leader));
  EXPECT_EQ(json::parse(Http(f, "GET", "/v1/members").body).size(), 3u);

  // ckron: every server lists the Raft configuration from its own copy, the
  // leader marked.
  for (int i = 0; i < 3; ++i) {
    json peers;
    EXPECT_TRUE(Eventually([&] {
      const HttpReply p = Http(c.http(i), "GET", "/v1/raft/peers");
      if (p.status != 200) return false;
      peers = json::parse(p.body);
      int leaders = 0;
      for (const auto& s : peers) leaders += s["leader"] == true;
      return peers.size() == 3 && leaders == 1;
    })) << c.name(i)
        << " " << peers.dump();
    std::set<std::string> names;
    for (const auto& s : peers) {
      names.insert(s["name"].get<std::string>());
      EXPECT_EQ(s["suffrage"], "voter");
      EXPECT_EQ(s["leader"], s["name"] == c.name(leader)) << peers.dump();
    }
    EXPECT_EQ(names, (std::set<std::string>{c.name(0), c.name(1), c.name(2)}));
  }

  // A write to a follower lands (and every server applies it).
  const json job = {{"name", "fwd"},
                    {"schedule", "@manually"},
                    {"executor", "shell"},
                    {"executor_config", {{"command", "echo forwarded"}, {"shell", "true"}}}};
  HttpReply r = Http(f, "POST", "/v1/jobs", job.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("x-whom"), c.name(follower));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Eventually([&] { return Http(c.http(i), "GET", "/v1/jobs/fwd").status == 200; }))
        << c.name(i);
  }
  // Validation still happens on the follower.
  EXPECT_EQ(Http(f, "POST", "/v1/jobs", json{{"name", "Bad Name"}}.dump()).status, 400);

  // A manual run through the follower reaches the leader's dispatcher.
  r = Http(f, "POST", "/v1/jobs/fwd/run");
  ASSERT_EQ(r.status, 200) << r.body;
  json list;
  ASSERT_TRUE(Eventually([&] {
    list = json::parse(Http(f, "GET", "/v1/jobs/fwd/executions").body);
    std::size_t done = 0;
    for (const auto& e : list) done += e["finished_at"] != "0001-01-01T00:00:00Z";
    return done == 3;  // no tags: every server runs it
  })) << list.dump();
  for (const auto& e : list) EXPECT_EQ(e["success"], true);

  // Create and run at once through a follower: the leader knows the job
  // even if the follower has not applied it yet.
  json quick = job;
  quick["name"] = "fwd-quick";
  ASSERT_EQ(Http(f, "POST", "/v1/jobs", quick.dump()).status, 201);
  r = Http(f, "POST", "/v1/jobs/fwd-quick/run");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Http(f, "POST", "/v1/jobs/never-created/run").status, 404);

  // Pause through a follower is seen by every server.
  EXPECT_EQ(Http(f, "POST", "/v1/pause").status, 200);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(Eventually(
        [&] { return json::parse(Http(c.http(i), "GET", "/v1/pause").body)["paused"] == true; }));
  }
  EXPECT_EQ(Http(c.http(leader), "POST", "/v1/jobs", job.dump()).status, 503);
  EXPECT_EQ(Http(f, "POST", "/v1/unpause").status, 200);
  EXPECT_TRUE(Eventually(
      [&] { return Http(c.http(leader), "POST", "/v1/jobs", job.dump()).status == 201; }));

  // Delete through a follower.
  EXPECT_EQ(Http(f, "DELETE", "/v1/jobs/fwd").status, 200);
  EXPECT_TRUE(
      Eventually([&] { return Http(c.http(leader), "GET", "/v1/jobs/fwd").status == 404; }));

  // POST /v1/leave answers, then the server shuts down.
  r = Http(f, "POST", "/v1/leave");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(json::parse(r.body).contains("global"));
  EXPECT_TRUE(Eventually([&] { return !c.Running(follower); }, 60s)) << c.Log(follower);
}

}  // namespace
}  // namespace ckron::testing
