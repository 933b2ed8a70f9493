// The REST API over HTTP against one real `ckron agent --server` (shared by
// every test of the suite): every endpoint, the job validation rules of
// dkron-spec §2.1, the behaviours of §13 that ckron keeps, manual runs,
// cancel, and malformed or oversized requests followed by a health check
// that still answers.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api_harness.h"
#include "nlohmann/json.hpp"
#include "shared_cluster_test.h"

namespace ckron::testing {
namespace {

using nlohmann::json;

class ApiNodeTest : public SharedApiClusterTest<ApiNodeTest> {
 public:
  static std::unique_ptr<ApiCluster> MakeCluster() { return std::make_unique<ApiCluster>(1); }

 protected:
  static HttpReply Get(const std::string& target) { return Http(addr(), "GET", target); }
  static HttpReply Post(const std::string& target, const std::string& body = "") {
    return Http(addr(), "POST", target, body);
  }
  static HttpReply Delete(const std::string& target) { return Http(addr(), "DELETE", target); }
  static const std::string& addr() { return cluster_->http(0); }

  static json ShellJob(const std::string& name, const std::string& command,
                       const std::string& concurrency = "allow") {
    return {{"name", name},
            {"schedule", "@manually"},
            {"executor", "shell"},
            {"concurrency", concurrency},
            {"executor_config", {{"command", command}, {"shell", "true"}}}};
  }
  // Waits for `n` finished executions of `job`; the newest-first list.
  static json WaitFinished(const std::string& job, std::size_t n) {
    json list;
    Eventually([&] {
      const HttpReply r = Get("/v1/jobs/" + job + "/executions");
      if (r.status != 200) return false;
      list = json::parse(r.body);
      std::size_t done = 0;
      for (const auto& e : list) done += e["finished_at"] != "0001-01-01T00:00:00Z";
      return done >= n;
    });
    return list;
  }
};

TEST_F(ApiNodeTest, HealthReadyAndCommonHeaders) {
  const HttpReply r = Http(addr(), "GET", "/health", "", {{"Origin", "http://ui.example"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json({{"status", "healthy"}}));
  EXPECT_EQ(r.Header("x-whom"), cluster_->name(0));
  EXPECT_EQ(r.Header("access-control-allow-origin"), "*");
  const HttpReply ready = Get("/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json::parse(ready.body)["leader"], cluster_->name(0));
  const HttpReply pre =
      Http(addr(), "OPTIONS", "/v1/jobs", "",
           {{"Origin", "http://ui.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 204);
}

TEST_F(ApiNodeTest, JobLifecycle) {
  HttpReply r = Post("/v1/jobs", ShellJob("life", "true").dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Header("location"), "/v1/jobs/life");
  json j = json::parse(r.body);
  EXPECT_EQ(j["id"], "life");
  EXPECT_EQ(j["next"], "0001-01-01T00:00:00Z");  // @manually
  r = Get("/v1/jobs/life?pretty");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\n    \"name\": \"life\""), std::string::npos);
  // Re-POST overwrites (an upsert), PUT ignores the path's name.
  json changed = ShellJob("life", "true");
  changed["displayname"] = "Life";
  r = Http(addr(), "PUT", "/v1/jobs/other", changed.dump());
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(json::parse(Get("/v1/jobs/life").body)["displayname"], "Life");
  EXPECT_EQ(Get("/v1/jobs/other").status, 404);
  // Toggle.
  r = Post("/v1/jobs/life/toggle");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["disabled"], true);
  // Delete.
  r = Delete("/v1/jobs/life");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["name"], "life");
  EXPECT_EQ(Get("/v1/jobs/life").status, 404);
  EXPECT_EQ(Delete("/v1/jobs/life").status, 404);
}

TEST_F(ApiNodeTest, ValidationRules) {
  const std::vector<std::pair<json, std::string>> bad = {
      {{{"name", "BAD JOB NAME!"}, {"schedule", "@every 1m"}}, "illegal character"},
      {{{"name", ""}, {"schedule", "@every 1m"}}, "name cannot be empty"},
      {{{"name", "v1"}, {"schedule", "@at badtime"}}, "can't parse job schedule"},
      {{{"name", "v2"}, {"schedule", "* * *"}}, "can't parse job schedule"},
      {{{"name", "v3"}, {"schedule", "@every 1m"}, {"concurrency", "whenever"}}, "concurrency"},
      {{{"name", "v4"}, {"schedule", "@every 1m"}, {"timezone", "Nowhere/City"}}, "Nowhere/City"},
      {{{"name", "v5"}, {"parent_job", "v5"}}, "the job can not have itself as parent"},
      {{{"name", "v6"},
        {"schedule", "@every 1m"},
        {"executor", "shell"},
        {"executor_config", {{"command", "true"}, {"timeout", "soon"}}}},
       "executor_config.timeout"},
      {{{"name", "v7"}, {"schedule", "@every 1m"}, {"executor_config", {{"timeout", 30}}}},
       "executor_config.timeout"},
      {{{"name", "v8"}, {"schedule", "@every 1m"}, {"retries", -1}}, "\"retries\""},
      {{{"name", 8}}, "\"name\""},
  };
  for (const auto& [body, want] : bad) {
    const HttpReply r = Post("/v1/jobs", body.dump());
    EXPECT_EQ(r.status, 400) << body.dump();
    EXPECT_NE(r.body.find(want), std::string::npos) << body.dump() << " -> " << r.body;
  }
  // Unicode lowercase letters are allowed.
  EXPECT_EQ(Post("/v1/jobs", json{{"name", "ßñëäï-job"}, {"schedule", "@every 1h"}}.dump()).status,
            201);
  // Unknown parent: 404, and nothing is created.
  const HttpReply r = Post("/v1/jobs", json{{"name", "orphan"}, {"parent_job", "ghost"}}.dump());
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("specified parent job not found"), std::string::npos);
  EXPECT_EQ(Get("/v1/jobs/orphan").status, 404);
}

TEST_F(ApiNodeTest, ParentUpdateKeepsDependents) {
  ASSERT_EQ(Post("/v1/jobs", json{{"name", "par"}, {"schedule", "@every 1h"}}.dump()).status, 201);
  ASSERT_EQ(Post("/v1/jobs", json{{"name", "kid"}, {"parent_job", "par"}}.dump()).status, 201);
  ASSERT_EQ(Post("/v1/jobs", json{{"name", "par"}, {"schedule", "@every 2h"}}.dump()).status, 201);
  EXPECT_EQ(json::parse(Get("/v1/jobs/par").body)["dependent_jobs"], json({"kid"}));
  EXPECT_EQ(Delete("/v1/jobs/par").status, 404);  // Dkron: children first
  EXPECT_EQ(Delete("/v1/jobs/kid").status, 200);
  EXPECT_EQ(Delete("/v1/jobs/par").status, 200);
}

TEST_F(ApiNodeTest, ListPagingFiltersAndSort) {
  for (const char* n : {"ls-a", "ls-b", "ls-c"}) {
    json j = {{"name", n}, {"schedule", "@every 1h"}, {"metadata", {{"suite", "list"}}}};
    if (std::string(n) == "ls-b") j["disabled"] = true;
    ASSERT_EQ(Post("/v1/jobs", j.dump()).status, 201);
  }
  auto names = [](const HttpReply& r) {
    std::vector<std::string> out;
    for (const auto& j : json::parse(r.body)) out.push_back(j["name"]);
    return out;
  };
  HttpReply r = Get("/v1/jobs?metadata[suite]=list&_start=1&_end=2");
  EXPECT_EQ(names(r), std::vector<std::string>{"ls-b"});
  EXPECT_EQ(r.Header("x-total-count"), "3");
  r = Get("/v1/jobs?metadata%5Bsuite%5D=list&_sort=name&_order=DESC");
  EXPECT_EQ(names(r), (std::vector<std::string>{"ls-c", "ls-b", "ls-a"}));
  r = Get("/v1/jobs?q=ls-&disabled=false");
  EXPECT_EQ(names(r), (std::vector<std::string>{"ls-a", "ls-c"}));
  r = Get("/v1/jobs?q=ls-&status=untriggered");
  EXPECT_EQ(r.Header("x-total-count"), "3");
  EXPECT_EQ(Get("/v1/jobs?_sort=nonsense").status, 400);
  // Without filters the total is every job and a page is just the page.
  r = Get("/v1/jobs?_start=0&_end=1");
  EXPECT_EQ(json::parse(r.body).size(), 1u);
  EXPECT_GE(std::stoi(r.Header("x-total-count")), 3);
}

TEST_F(ApiNodeTest, ManualRunExecutionsAndOutputLimit) {
  ASSERT_EQ(Post("/v1/jobs", ShellJob("runner", "printf 'x%.0s' $(seq 1 300); echo").dump()).status,
            201);
  EXPECT_EQ(Get("/v1/jobs/runner/executions").body, "[]");
  HttpReply r = Post("/v1/jobs/runner");  // returns at once, with the job
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["name"], "runner");
  ASSERT_EQ(Post("/v1/jobs/runner/run").status, 200);
  json list = WaitFinished("runner", 2);
  ASSERT_EQ(list.size(), 2u) << list.dump();
  r = Get("/v1/jobs/runner/executions?output_size_limit=200");
  EXPECT_EQ(r.Header("x-total-count"), "2");
  list = json::parse(r.body);
  EXPECT_EQ(list[0]["output"].get<std::string>().size(), 200u);
  EXPECT_EQ(list[0]["output_truncated"], true);
  EXPECT_EQ(list[0]["success"], true);
  EXPECT_GE(list[0]["started_at"].get<std::string>(), list[1]["started_at"].get<std::string>());
  r = Get("/v1/jobs/runner/executions/" + list[0]["id"].get<std::string>());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["output"].get<std::string>().size(), 301u);
  EXPECT_EQ(Get("/v1/jobs/runner/executions/nope").status, 404);
  EXPECT_EQ(Get("/v1/jobs/ghost/executions").status, 404);
  EXPECT_EQ(Post("/v1/jobs/ghost/run").status, 404);
  const json job = json::parse(Get("/v1/jobs/runner").body);
  EXPECT_EQ(job["success_count"], 2);
  EXPECT_EQ(job["status"], "success");
  // Stats count today's executions.
  const json stats = json::parse(Get("/v1/stats?days=2").body)["stats"];
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_GE(stats[1]["success_count"].get<int>(), 2);
  // Delete the executions: counters reset.
  r = Delete("/v1/jobs/runner/executions");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["success_count"], 0);
  EXPECT_EQ(Get("/v1/jobs/runner/executions").body, "[]");
}

TEST_F(ApiNodeTest, RunOnCreate) {
  ASSERT_EQ(Post("/v1/jobs?runoncreate=true", ShellJob("oncreate", "echo hi").dump()).status, 201);
  EXPECT_EQ(WaitFinished("oncreate", 1).size(), 1u);
}

TEST_F(ApiNodeTest, ForbidBusyAndCancel) {
  ASSERT_EQ(Post("/v1/jobs", ShellJob("sleeper", "sleep 60", "forbid").dump()).status, 201);
  ASSERT_EQ(Post("/v1/jobs/sleeper/run").status, 200);
  json busy;
  ASSERT_TRUE(Eventually([&] {
    busy = json::parse(Get("/v1/busy").body);
    return busy.size() == 1;
  })) << busy.dump();
  EXPECT_EQ(busy[0]["job_name"], "sleeper");
  EXPECT_EQ(busy[0]["finished_at"], "0001-01-01T00:00:00Z");
  // forbid: refused while running, unless forced.
  HttpReply r = Post("/v1/jobs/sleeper/run");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("forbid"), std::string::npos);
  // Cancel kills it; the result arrives as failed.
  const std::string id = busy[0]["id"];
  r = Post("/v1/jobs/sleeper/executions/" + id + "/cancel");
  EXPECT_EQ(r.status, 202) << r.body;
  const json list = WaitFinished("sleeper", 1);
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list[0]["success"], false);
  EXPECT_TRUE(Eventually([&] { return Get("/v1/busy").body == "[]"; }));
  EXPECT_EQ(Post("/v1/jobs/sleeper/executions/" + id + "/cancel").status, 409);
  EXPECT_EQ(Post("/v1/jobs/sleeper/run?force=true").status, 200);
  EXPECT_TRUE(Eventually([&] { return json::parse(Get("/v1/busy").body).size() == 1; }));
  busy = json::parse(Get("/v1/busy").body);
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(
      Post("/v1/jobs/sleeper/executions/" + busy[0]["id"].get<std::string>() + "/cancel").status,
      202);
}

// A run sent to its node can be cancelled before its start is recorded
// (docs/semantics.md §4.1b): the cancel finds the node from the pending run.
// The server here waits an hour before recording a start, so nothing but
// the pending run names the node.
TEST(ApiCancelUnrecorded, ARunWhoseStartIsNotRecordedYetIsCancelled) {
  ::setenv("CKRON_TEST_START_RECORD_DELAY_MS", "3600000", 1);
  ApiCluster cluster(1);
  const Status started = cluster.Start();
  ::unsetenv("CKRON_TEST_START_RECORD_DELAY_MS");
  ASSERT_TRUE(started.ok()) << started.ToString() << cluster.Describe();
  const std::string addr = cluster.http(0);
  // One fire at a whole second a few seconds ahead: its execution id is
  // "<instant in ns>-<node>" (semantics §4.1).
  const absl::Time at = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) + 3);
  const json job = {
      {"name", "held"},
      {"schedule", "@at " + absl::FormatTime(absl::RFC3339_sec, at, absl::UTCTimeZone())},
      {"executor", "shell"},
      {"executor_config", {{"command", "sleep 60"}, {"shell", "true"}}}};
  HttpReply r = Http(addr, "POST", "/v1/jobs", job.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = std::to_string(absl::ToUnixNanos(at)) + "-" + cluster.name(0);
  // Refused until the fire is recorded and sent to the node.
  ASSERT_TRUE(Eventually([&] {
    r = Http(addr, "POST", "/v1/jobs/held/executions/" + id + "/cancel");
    return r.status == 202;
  })) << r.status
      << " " << r.body;
  json list;
  ASSERT_TRUE(Eventually([&] {
    list = json::parse(Http(addr, "GET", "/v1/jobs/held/executions").body);
    return list.size() == 1 && list[0]["finished_at"] != "0001-01-01T00:00:00Z";
  })) << list.dump();
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["success"], false);
  EXPECT_EQ(Http(addr, "GET", "/v1/busy").body, "[]");
}

TEST_F(ApiNodeTest, PauseBlocksSubmissions) {
  EXPECT_EQ(json::parse(Post("/v1/pause").body), json({{"paused", true}}));
  EXPECT_EQ(json::parse(Get("/v1/pause").body), json({{"paused", true}}));
  HttpReply r = Post("/v1/jobs", json{{"name", "paused-job"}, {"schedule", "@every 1h"}}.dump());
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("paused"), std::string::npos);
  EXPECT_EQ(json::parse(Post("/v1/unpause").body), json({{"paused", false}}));
  r = Post("/v1/jobs", json{{"name", "paused-job"}, {"schedule", "@every 1h"}}.dump());
  EXPECT_EQ(r.status, 201);
}

TEST_F(ApiNodeTest, ClusterEndpoints) {
  HttpReply r = Get("/v1/members");
  ASSERT_EQ(r.status, 200);
  const json members = json::parse(r.body);
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0]["Name"], cluster_->name(0));
  EXPECT_EQ(members[0]["Status"], 1);
  EXPECT_EQ(members[0]["statusText"], "alive");
  EXPECT_EQ(members[0]["Tags"]["role"], "dkron");
  EXPECT_EQ(r.Header("x-total-count"), "1");
  r = Get("/v1/leader");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["Name"], cluster_->name(0));
  r = Get("/v1/isleader");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), "I am a leader");
  r = Get("/v1/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["agent"]["name"], cluster_->name(0));
  r = Get("/v1/stats");
  EXPECT_EQ(json::parse(r.body)["stats"].size(), 30u);
  r = Get("/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  const json doc = json::parse(r.body);
  EXPECT_TRUE(doc.contains("openapi"));
}

TEST_F(ApiNodeTest, Restore) {
  const std::string file =
      R"([{"name":"rs-child","parent_job":"rs-parent"},{"name":"rs-parent","schedule":"@every 1h"}])";
  const std::string body =
      "--BOUNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"jobs.json\"\r\n"
      "Content-Type: application/json\r\n\r\n" +
      file + "\r\n--BOUNDARY--\r\n";
  const HttpReply r = Http(addr(), "POST", "/v1/restore", body,
                           {{"Content-Type", "multipart/form-data; boundary=BOUNDARY"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string lines = json::parse(r.body).get<std::string>();
  EXPECT_EQ(lines.find("fail"), std::string::npos) << lines;
  EXPECT_EQ(json::parse(Get("/v1/jobs/rs-parent").body)["dependent_jobs"], json({"rs-child"}));
}

TEST_F(ApiNodeTest, BadInputLeavesTheServerAnswering) {
  HttpReply r = Post("/v1/jobs", "{\"name\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Unable to parse payload"), std::string::npos);
  r = Post("/v1/jobs", "[1,2]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Get("/v1/no/such/route").status, 404);
  EXPECT_EQ(Http(addr(), "DELETE", "/v1/members").status, 404);
  // Over 1 MiB: 413 before any handler runs.
  r = Post("/v1/jobs", std::string(2 << 20, ' '));
  EXPECT_EQ(r.status, 413);
  // Not HTTP at all.
  std::string raw = RawExchange(addr(), "HELLO THERE\r\n\r\n");
  EXPECT_NE(raw.find(" 400 "), std::string::npos) << raw;
  // A header that never ends is cut off at the header limit.
  raw = RawExchange(addr(), "GET /health HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a'));
  EXPECT_NE(raw.find(" 431 "), std::string::npos) << raw.substr(0, 200);
  // A declared body that is too large is refused from the header alone.
  raw =
      RawExchange(addr(), "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n");
  EXPECT_NE(raw.find(" 413 "), std::string::npos) << raw;
  // Bad percent-encoding in the target.
  raw = RawExchange(addr(), "GET /v1/jobs/%zz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(raw.find(" 400 "), std::string::npos) << raw;
  // Keep-alive: two requests on one connection.
  raw = RawExchange(addr(),
                    "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n"
                    "Connection: close\r\n\r\n");
  std::size_t answers = 0;
  for (std::size_t p = raw.find("HTTP/1.1 200"); p != std::string::npos;
       p = raw.find("HTTP/1.1 200", p + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 2u) << raw;
  // Still healthy, and nothing half-applied.
  EXPECT_EQ(Get("/health").status, 200);
  EXPECT_TRUE(cluster_->Running(0));
}

}  // namespace
}  // namespace ckron::testing
