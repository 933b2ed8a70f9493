// ckron's additions for the web UI, over HTTP against one real `ckron agent
// --server`: upcoming fire times of a job (GET /v1/jobs/{job}/next) and of
// an unsaved schedule (GET /v1/schedule/next), the Raft configuration
// (GET /v1/raft/peers), and the jobs list's tags[key]=value filter; with
// their 400s.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "absl/time/time.h"
#include "api_harness.h"
#include "nlohmann/json.hpp"
#include "shared_cluster_test.h"

namespace ckron::testing {
namespace {

using nlohmann::json;

class ApiScheduleTest : public SharedApiClusterTest<ApiScheduleTest> {
 public:
  static std::unique_ptr<ApiCluster> MakeCluster() { return std::make_unique<ApiCluster>(1); }

 protected:
  static HttpReply Get(const std::string& target) { return Http(addr(), "GET", target); }
  static HttpReply Post(const std::string& target, const std::string& body = "") {
    return Http(addr(), "POST", target, body);
  }
  static void Put(const json& job) {
    const HttpReply r = Post("/v1/jobs", job.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  static const std::string& addr() { return cluster_->http(0); }
  static absl::Time Parse(const json& text) {
    absl::Time t;
    std::string err;
    EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text.get<std::string>(), &t, &err)) << err;
    return t;
  }
};

TEST_F(ApiScheduleTest, JobNextInTheJobsZone) {
  Put({{"name", "tokyo"}, {"schedule", "0 0 9 * * *"}, {"timezone", "Asia/Tokyo"}});
  HttpReply r = Get("/v1/jobs/tokyo/next");
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = json::parse(r.body);
  EXPECT_EQ(body["job"], "tokyo");
  EXPECT_EQ(body["timezone"], "Asia/Tokyo");
  ASSERT_EQ(body["next"].size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NE(body["next"][i].get<std::string>().find("T09:00:00+09:00"), std::string::npos);
    if (i > 0) {
      EXPECT_EQ(Parse(body["next"][i]) - Parse(body["next"][i - 1]), absl::Hours(24));
    }
  }
  // The first is the job's `next`.
  EXPECT_EQ(Parse(body["next"][0]), Parse(json::parse(Get("/v1/jobs/tokyo").body)["next"]));
  EXPECT_EQ(json::parse(Get("/v1/jobs/tokyo/next?count=42").body)["next"].size(), 42u);

  for (const char* bad : {"0", "101", "five"}) {
    r = Get(std::string("/v1/jobs/tokyo/next?count=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("count"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Get("/v1/jobs/no-such-job/next").status, 404);
}

TEST_F(ApiScheduleTest, JobNextEmptyWithAReason) {
  Put({{"name", "off"}, {"schedule", "@every 1m"}, {"disabled", true}});
  json body = json::parse(Get("/v1/jobs/off/next").body);
  EXPECT_EQ(body["next"], json::array());
  EXPECT_NE(body["reason"].get<std::string>().find("disabled"), std::string::npos);

  Put({{"name", "every"}, {"schedule", "@every 1m"}});
  ASSERT_EQ(Post("/v1/pause").status, 200);
  body = json::parse(Get("/v1/jobs/every/next").body);
  EXPECT_EQ(body["next"], json::array());
  EXPECT_NE(body["reason"].get<std::string>().find("paused"), std::string::npos);
  ASSERT_EQ(Post("/v1/unpause").status, 200);
  body = json::parse(Get("/v1/jobs/every/next?count=3").body);
  ASSERT_EQ(body["next"].size(), 3u);
  EXPECT_EQ(Parse(body["next"][1]) - Parse(body["next"][0]), absl::Minutes(1));
}

TEST_F(ApiScheduleTest, SchedulePreview) {
  HttpReply r = Get("/v1/schedule/next?schedule=0+30+2+*+*+*&timezone=Europe/Paris&count=3");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["timezone"], "Europe/Paris");
  ASSERT_EQ(body["next"].size(), 3u);
  const std::string first = body["next"][0];
  EXPECT_TRUE(first.find("T02:30:00+01:00") != std::string::npos ||
              first.find("T02:30:00+02:00") != std::string::npos)
      << first;

  r = Get("/v1/schedule/next?schedule=not+a+schedule");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind("schedule: can't parse job schedule: ", 0), 0u) << r.body;
  r = Get("/v1/schedule/next?schedule=@hourly&timezone=Nowhere/Land");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "timezone: unknown time zone \"Nowhere/Land\"");
  EXPECT_EQ(Get("/v1/schedule/next").status, 400);
  EXPECT_EQ(Get("/v1/schedule/next?schedule=@hourly&count=0").status, 400);
}

TEST_F(ApiScheduleTest, RaftPeersOfASingleServer) {
  const HttpReply r = Get("/v1/raft/peers");
  ASSERT_EQ(r.status, 200) << r.body;
  const json peers = json::parse(r.body);
  ASSERT_EQ(peers.size(), 1u) << r.body;
  EXPECT_EQ(peers[0]["name"], cluster_->name(0));
  EXPECT_EQ(peers[0]["suffrage"], "voter");
  EXPECT_EQ(peers[0]["leader"], true);
  EXPECT_NE(peers[0]["address"].get<std::string>().find("127.0.0.1:"), std::string::npos);
  EXPECT_FALSE(peers[0]["id"].get<std::string>().empty());
}

TEST_F(ApiScheduleTest, JobsFilteredByTags) {
  Put({{"name", "t-web2"}, {"schedule", "@manually"}, {"tags", {{"role", "web:2"}}}});
  Put({{"name", "t-web"}, {"schedule", "@manually"}, {"tags", {{"role", "web"}, {"dc", "b"}}}});
  Put({{"name", "t-db"}, {"schedule", "@manually"}, {"tags", {{"role", "db"}}}});
  auto names = [](const std::string& target) {
    const HttpReply r = Get(target);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& j : json::parse(r.body)) out.push_back(j["name"]);
    return out;
  };
  EXPECT_EQ(names("/v1/jobs?tags%5Brole%5D=web"), (std::vector<std::string>{"t-web", "t-web2"}));
  EXPECT_EQ(names("/v1/jobs?tags%5Brole%5D=web&tags%5Bdc%5D=b"), std::vector<std::string>{"t-web"});
  const HttpReply r = Get("/v1/jobs?tags%5Brole%5D=db");
  EXPECT_EQ(r.Header("x-total-count"), "1");
}

}  // namespace
}  // namespace ckron::testing
