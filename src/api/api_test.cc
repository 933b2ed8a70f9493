// The handlers over a FakeBackend: status codes, headers and bodies of
// every route, without sockets.
#include "api/api.h"

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "api/testing/fake_backend.h"
#include "api/testing/settle.h"
#include "nlohmann/json.hpp"

namespace ckron::api {
namespace {

using nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  Response Call(const std::string& method, const std::string& target, const std::string& body = "",
                std::map<std::string, std::string> headers = {}) {
    Request req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.headers = std::move(headers);
    EXPECT_TRUE(ParseTarget(target, &req.path, &req.query));
    return ::ckron::api::testing::Settle(api_.Handle(req));
  }
  static std::string Header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  void Put(const std::string& body) {
    const Response r = Call("POST", "/v1/jobs", body);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  testing::FakeBackend backend_;
  Api api_{ApiOptions{}, &backend_};
};

TEST_F(ApiTest, HealthAndWhom) {
  const Response r = Call("GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), json({{"status", "healthy"}}));
  EXPECT_EQ(Header(r, "X-Whom"), "node-a");
}

TEST_F(ApiTest, UnknownRouteIs404WithMessage) {
  const Response r = Call("GET", "/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.body.empty());
}

TEST_F(ApiTest, CreateGetListDelete) {
  Response r =
      Call("POST", "/v1/jobs", R"({"name":"a","schedule":"@every 1m","executor":"shell"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Header(r, "Location"), "/v1/jobs/a");
  EXPECT_EQ(json::parse(r.body)["id"], "a");
  r = Call("GET", "/v1/jobs/a");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["schedule"], "@every 1m");
  EXPECT_NE(json::parse(r.body)["next"], "0001-01-01T00:00:00Z");
  r = Call("GET", "/v1/jobs");
  EXPECT_EQ(Header(r, "X-Total-Count"), "1");
  r = Call("DELETE", "/v1/jobs/a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["name"], "a");
  EXPECT_EQ(Call("GET", "/v1/jobs/a").status, 404);
  EXPECT_EQ(Call("DELETE", "/v1/jobs/a").status, 404);
}

TEST_F(ApiTest, PutIgnoresPathNameAndUpserts) {
  Put(R"({"name":"a","schedule":"@every 1m"})");
  const Response r = Call("PUT", "/v1/jobs/zzz", R"({"name":"a","schedule":"@every 2m"})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(json::parse(Call("GET", "/v1/jobs/a").body)["schedule"], "@every 2m");
  EXPECT_EQ(Call("GET", "/v1/jobs/zzz").status, 404);
}

TEST_F(ApiTest, ValidationRules) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"name":"BAD JOB NAME!","schedule":"@every 1m"})", "illegal character"},
      {R"({"name":"","schedule":"@every 1m"})", "name cannot be empty"},
      {R"({"name":"a","schedule":"@at badtime"})", "can't parse job schedule"},
      {R"({"name":"a","schedule":"@every 1m","concurrency":"sometimes"})", "concurrency"},
      {R"({"name":"a","schedule":"@every 1m","timezone":"Mars/Base"})", "Mars/Base"},
      {R"({"name":"a","parent_job":"a"})", "the job can not have itself as parent"},
  };
  for (const auto& [body, want] : bad) {
    const Response r = Call("POST", "/v1/jobs", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body.find(want), std::string::npos) << body << " -> " << r.body;
    EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  }
  EXPECT_EQ(Call("POST", "/v1/jobs", R"({"name":"ßñëäï","schedule":"@every 1m"})").status, 201);
}

TEST_F(ApiTest, UnknownParentIs404AndNothingIsCreated) {
  const Response r = Call("POST", "/v1/jobs", R"({"name":"child","parent_job":"nope"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("specified parent job not found"), std::string::npos);
  EXPECT_EQ(Call("GET", "/v1/jobs/child").status, 404);
}

TEST_F(ApiTest, ParentKeepsDependentJobsOnUpdate) {
  Put(R"({"name":"p","schedule":"@every 1m"})");
  Put(R"({"name":"c","parent_job":"p"})");
  Put(R"({"name":"p","schedule":"@every 2m"})");
  EXPECT_EQ(json::parse(Call("GET", "/v1/jobs/p").body)["dependent_jobs"], json({"c"}));
  EXPECT_EQ(Call("DELETE", "/v1/jobs/p").status, 404);  // has dependents
}

TEST_F(ApiTest, BadBodies) {
  Response r = Call("POST", "/v1/jobs", "{");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Unable to parse payload"), std::string::npos);
  r = Call("POST", "/v1/jobs", R"({"name":"a","executor_config":{"timeout":5}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("executor_config.timeout"), std::string::npos);
}

TEST_F(ApiTest, ListFiltersSortAndPaging) {
  Put(R"({"name":"a1","displayname":"zeta","schedule":"@every 1m","metadata":{"t":"x"}})");
  Put(R"({"name":"b2","displayname":"alpha","schedule":"@every 1m","disabled":true})");
  Put(R"({"name":"c3","schedule":"@every 1m","metadata":{"t":"x","u":"y"}})");
  auto names = [&](const std::string& target, std::string* total = nullptr) {
    const Response r = Call("GET", target);
    EXPECT_EQ(r.status, 200) << target << " " << r.body;
    if (total != nullptr) *total = Header(r, "X-Total-Count");
    std::vector<std::string> out;
    for (const auto& j : json::parse(r.body)) out.push_back(j["name"]);
    return out;
  };
  std::string total;
  EXPECT_EQ(names("/v1/jobs?_start=1&_end=2", &total), std::vector<std::string>{"b2"});
  EXPECT_EQ(total, "3");
  EXPECT_EQ(names("/v1/jobs?_order=DESC&_start=0&_end=2"), (std::vector<std::string>{"c3", "b2"}));
  EXPECT_EQ(names("/v1/jobs?_sort=displayname"), (std::vector<std::string>{"c3", "b2", "a1"}));
  EXPECT_EQ(names("/v1/jobs?q=alp"), std::vector<std::string>{"b2"});
  EXPECT_EQ(names("/v1/jobs?disabled=true"), std::vector<std::string>{"b2"});
  EXPECT_EQ(names("/v1/jobs?status=untriggered&_end=1", &total), std::vector<std::string>{"a1"});
  EXPECT_EQ(total, "3");
  EXPECT_EQ(names("/v1/jobs?metadata%5Bt%5D=x&metadata%5Bu%5D=y"), std::vector<std::string>{"c3"});
  EXPECT_EQ(names("/v1/jobs?_start=10"), std::vector<std::string>{});
  EXPECT_EQ(Call("GET", "/v1/jobs?_sort=bogus").status, 400);
  EXPECT_EQ(Call("GET", "/v1/jobs?_start=x").status, 400);
}

TEST_F(ApiTest, PrettyIndents) {
  EXPECT_NE(Call("GET", "/v1/pause?pretty").body.find("\n    \"paused\""), std::string::npos);
}

TEST_F(ApiTest, PauseBlocksSubmissionsOnly) {
  EXPECT_EQ(json::parse(Call("POST", "/v1/pause").body)["paused"], true);
  EXPECT_EQ(json::parse(Call("GET", "/v1/pause").body)["paused"], true);
  const Response r = Call("POST", "/v1/jobs", R"({"name":"a","schedule":"@every 1m"})");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("paused"), std::string::npos);
  EXPECT_EQ(json::parse(Call("POST", "/v1/unpause").body)["paused"], false);
  EXPECT_EQ(Call("POST", "/v1/jobs", R"({"name":"a","schedule":"@every 1m"})").status, 201);
}

TEST_F(ApiTest, RunToggleAndRunOnCreate) {
  Put(R"({"name":"a","schedule":"@every 1m"})");
  Response r = Call("POST", "/v1/jobs/a");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["name"], "a");
  EXPECT_EQ(Call("POST", "/v1/jobs/a/run?force=true").status, 200);
  ASSERT_EQ(backend_.runs.size(), 2u);
  EXPECT_FALSE(backend_.runs[0].second);
  EXPECT_TRUE(backend_.runs[1].second);
  EXPECT_EQ(Call("POST", "/v1/jobs/nope/run").status, 404);
  backend_.run_error =
      Status::FailedPrecondition("job \"a\" is running and its concurrency is forbid");
  EXPECT_EQ(Call("POST", "/v1/jobs/a").status, 409);
  backend_.run_error = OkStatus();
  r = Call("POST", "/v1/jobs/a/toggle");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["disabled"], true);
  EXPECT_EQ(Call("POST", "/v1/jobs/nope/toggle").status, 404);
  Put(R"({"name":"b","schedule":"@every 1m"})");
  EXPECT_EQ(Call("POST", "/v1/jobs?runoncreate=1", R"({"name":"c","schedule":"@every 1m"})").status,
            201);
  EXPECT_EQ(backend_.runs.back().first, "c");
}

TEST_F(ApiTest, ExecutionsListGetDeleteCancel) {
  Put(R"({"name":"a","schedule":"@every 1m"})");
  EXPECT_EQ(Call("GET", "/v1/jobs/a/executions").body, "[]");
  EXPECT_EQ(Call("GET", "/v1/jobs/nope/executions").status, 404);
  for (int i = 0; i < 2; ++i) {
    fsm::Execution e;
    e.job_name = "a";
    e.node_name = "n1";
    e.started_at = absl::FromUnixSeconds(1000 + i);
    e.finished_at = absl::FromUnixSeconds(1001 + i);
    e.id = fsm::ExecutionKey(e.started_at, "n1");
    e.success = true;
    e.output = i == 0 ? std::string(300, 'x') : "short";
    e.group = 1000 + i;
    backend_.AddExecution(e, false);
  }
  Response r = Call("GET", "/v1/jobs/a/executions?output_size_limit=200");
  ASSERT_EQ(r.status, 200);
  json list = json::parse(r.body);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["output"], "short");  // newest first
  EXPECT_EQ(list[0]["output_truncated"], false);
  EXPECT_EQ(list[1]["output"].get<std::string>().size(), 200u);
  EXPECT_EQ(list[1]["output_truncated"], true);
  EXPECT_EQ(Header(r, "X-Total-Count"), "2");
  r = Call("GET", "/v1/jobs/a/executions?_start=1&_end=2");
  EXPECT_EQ(json::parse(r.body).size(), 1u);
  const std::string id = list[1]["id"];
  r = Call("GET", "/v1/jobs/a/executions/" + id);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["output"].get<std::string>().size(), 300u);
  EXPECT_FALSE(json::parse(r.body).contains("output_truncated"));
  EXPECT_EQ(Call("GET", "/v1/jobs/a/executions/nope").status, 404);
  EXPECT_EQ(Call("POST", "/v1/jobs/a/executions/" + id + "/cancel").status, 409);

  fsm::Execution running;
  running.job_name = "a";
  running.node_name = "n2";
  running.started_at = absl::FromUnixSeconds(2000);
  running.id = fsm::ExecutionKey(running.started_at, "n2");
  running.group = 2000;
  backend_.AddExecution(running, true);
  backend_.live_output = "so far";
  r = Call("GET", "/v1/busy");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "X-Total-Count"), "1");
  EXPECT_EQ(json::parse(r.body)[0]["output"], "so far");
  EXPECT_EQ(Call("POST", "/v1/jobs/a/executions/" + running.id + "/cancel").status, 202);
  ASSERT_EQ(backend_.cancels.size(), 1u);

  r = Call("GET", "/v1/stats?days=3");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["stats"].size(), 3u);

  r = Call("DELETE", "/v1/jobs/a/executions");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["success_count"], 0);
}

TEST_F(ApiTest, ClusterEndpoints) {
  backend_.members = {
      {"node-a", "10.0.0.1", 8946, {{"role", "dkron"}}, 1, "alive", {2, 5, 5, 2, 5, 4}}};
  Response r = Call("GET", "/v1/members");
  ASSERT_EQ(r.status, 200);
  json m = json::parse(r.body)[0];
  EXPECT_EQ(m["Name"], "node-a");
  EXPECT_EQ(m["Status"], 1);
  EXPECT_EQ(m["statusText"], "alive");
  EXPECT_EQ(m["id"].get<std::string>().size(), 36u);
  EXPECT_EQ(Header(r, "X-Total-Count"), "1");
  r = Call("GET", "/v1/leader");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(json::parse(r.body).contains("id"));
  EXPECT_EQ(json::parse(Call("GET", "/v1/isleader").body), "I am a leader");
  EXPECT_EQ(json::parse(Call("GET", "/v1/").body)["agent"]["name"], "node-a");
  EXPECT_EQ(Call("GET", "/ready").status, 200);
  backend_.leader = "";
  EXPECT_EQ(Call("GET", "/v1/isleader").status, 404);
  EXPECT_EQ(Call("GET", "/v1/leader").status, 404);
  EXPECT_EQ(Call("GET", "/ready").status, 503);
  EXPECT_EQ(Call("POST", "/v1/leave").status, 200);
  EXPECT_EQ(backend_.leaves, 1);
  EXPECT_TRUE(json::parse(Call("GET", "/v1/openapi.json").body).contains("openapi"));
}

TEST_F(ApiTest, ProposalFailuresMapToStatus) {
  backend_.propose_error = Status::Unavailable("no leader");
  EXPECT_EQ(Call("POST", "/v1/jobs", R"({"name":"a","schedule":"@every 1m"})").status, 503);
  backend_.propose_error = Status::Timeout("slow");
  EXPECT_EQ(Call("POST", "/v1/pause").status, 504);
}

TEST_F(ApiTest, RestoreCreatesParentsFirst) {
  const std::string file = R"([{"name":"c","parent_job":"p"},{"name":"p","schedule":"@every 1m"}])";
  const std::string body =
      "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n" + file +
      "\r\n--B--\r\n";
  const Response r =
      Call("POST", "/v1/restore", body, {{"content-type", "multipart/form-data; boundary=B"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json lines = json::parse(json::parse(r.body).get<std::string>());
  EXPECT_EQ(lines, json({"success create p", "success create c"}));
  EXPECT_EQ(Call("POST", "/v1/restore", "x").status, 404);
}

TEST_F(ApiTest, Cors) {
  Response r = Call("GET", "/v1/jobs", "", {{"origin", "http://ui.example"}});
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), "*");
  r = Call("OPTIONS", "/v1/jobs", "", {{"origin", "http://ui.example"}});
  EXPECT_EQ(r.status, 204);
  testing::FakeBackend b;
  Api strict(ApiOptions{.cors_origins = {"http://ok.example"}}, &b);
  Request req;
  req.method = "GET";
  req.path = "/health";
  req.headers = {{"origin", "http://evil.example"}};
  EXPECT_EQ(Header(strict.Handle(req), "Access-Control-Allow-Origin"), "");
  req.headers = {{"origin", "http://ok.example"}};
  EXPECT_EQ(Header(strict.Handle(req), "Access-Control-Allow-Origin"), "http://ok.example");
}

TEST_F(ApiTest, WritesAndBoundedReadsRunInlineAndWritesAnswerOnceApplied) {
  auto request = [](std::string method, std::string target) {
    Request req;
    req.method = std::move(method);
    req.target = target;
    EXPECT_TRUE(ParseTarget(target, &req.path, &req.query));
    return req;
  };
  Request put = request("POST", "/v1/jobs?pretty");
  EXPECT_TRUE(api_.RunsInline(put));
  Request put_run = request("POST", "/v1/jobs?runoncreate");
  EXPECT_FALSE(api_.RunsInline(put_run));  // the manual run may block
  Request del = request("DELETE", "/v1/jobs/a");
  EXPECT_TRUE(api_.RunsInline(del));
  Request toggle = request("POST", "/v1/jobs/a/toggle");
  EXPECT_TRUE(api_.RunsInline(toggle));
  // Reads run inline when their work is bounded: a page of the name
  // index, one job, health; a filter, another order or an unbounded page
  // visits every job and goes to the handler pool.
  for (const char* target :
       {"/v1/jobs?_start=0&_end=25", "/v1/jobs?_sort=id&_end=1000",
        "/v1/jobs?_order=asc&_end=10&pretty", "/v1/jobs/a", "/health", "/ready"}) {
    Request read = request("GET", target);
    EXPECT_TRUE(api_.RunsInline(read)) << target;
  }
  for (const char* target :
       {"/v1/jobs", "/v1/jobs?_end=1001", "/v1/jobs?_end=25&q=x", "/v1/jobs?_end=25&status=failed",
        "/v1/jobs?_end=25&metadata[a]=b", "/v1/jobs?_end=25&_sort=next",
        "/v1/jobs?_end=25&_order=DESC", "/v1/jobs?_end=x", "/metrics"}) {
    Request read = request("GET", target);
    EXPECT_FALSE(api_.RunsInline(read)) << target;
  }
  Request unknown = request("POST", "/v1/nothing");
  EXPECT_FALSE(api_.RunsInline(unknown));
  Api blocking(ApiOptions{.middleware_may_block = true}, &backend_);
  EXPECT_FALSE(blocking.RunsInline(put));
  Request page = request("GET", "/v1/jobs?_end=25");
  EXPECT_FALSE(blocking.RunsInline(page));

  // The handler returns before the proposal is applied; the answer, with
  // X-Whom and CORS, comes when the backend completes it.
  backend_.hold_proposals = true;
  put.body = R"({"name":"late","schedule":"@every 1m","executor":"shell"})";
  put.headers = {{"origin", "http://ui.example"}};
  Response r = api_.Handle(put);
  ASSERT_NE(r.deferred, nullptr);
  ASSERT_EQ(backend_.held.size(), 1u);
  bool answered = false;
  Response final_response;
  r.deferred->SetSink([&](DeferredResponse::Maker make) {
    answered = true;
    final_response = make();
  });
  r.deferred.reset();
  EXPECT_FALSE(answered);
  backend_.ReleaseHeld();
  ASSERT_TRUE(answered);
  EXPECT_EQ(final_response.status, 201) << final_response.body;
  EXPECT_EQ(Header(final_response, "Location"), "/v1/jobs/late");
  EXPECT_EQ(Header(final_response, "X-Whom"), "node-a");
  EXPECT_EQ(Header(final_response, "Access-Control-Allow-Origin"), "*");
  EXPECT_NE(final_response.body.find("\n    \"name\": \"late\""), std::string::npos)
      << final_response.body;  // ?pretty honoured
  EXPECT_EQ(Call("GET", "/v1/jobs/late").status, 200);
}

TEST_F(ApiTest, DeferredWritesMapFailuresLikeBlockingOnes) {
  Put(R"({"name":"p","schedule":"@every 1m","executor":"shell"})");
  Put(R"({"name":"c","schedule":"@every 1m","executor":"shell","parent_job":"p"})");
  EXPECT_EQ(Call("DELETE", "/v1/jobs/p").status, 404);  // it has a dependent
  EXPECT_EQ(Call("POST", "/v1/jobs/nope/toggle").status, 404);
  backend_.propose_error = Status::OutcomeUnknown("lost leadership");
  const Response r = Call("POST", "/v1/jobs/c/toggle");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("retrying it is safe"), std::string::npos) << r.body;
}

TEST_F(ApiTest, TagFilterMatchesTheValueBeforeTheCount) {
  Put(R"({"name":"a","schedule":"@every 1m","tags":{"role":"web:2","dc":"x"}})");
  Put(R"({"name":"b","schedule":"@every 1m","tags":{"role":"web"}})");
  Put(R"({"name":"c","schedule":"@every 1m","tags":{"role":"db"}})");
  auto names = [&](const std::string& target) {
    const Response r = Call("GET", target);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& j : json::parse(r.body)) out.push_back(j["name"]);
    return out;
  };
  EXPECT_EQ(names("/v1/jobs?tags%5Brole%5D=web"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names("/v1/jobs?tags[role]=web&tags[dc]=x"), std::vector<std::string>{"a"});
  EXPECT_EQ(names("/v1/jobs?tags[role]=web:2"), std::vector<std::string>{"a"});
  EXPECT_EQ(names("/v1/jobs?tags[role]=we"), std::vector<std::string>{});
  EXPECT_EQ(names("/v1/jobs?tags[nope]=web"), std::vector<std::string>{});
  EXPECT_EQ(Header(Call("GET", "/v1/jobs?tags[role]=db&metadata[k]=v"), "X-Total-Count"), "0");
}

absl::Time ParseRfc3339(const std::string& text) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, text, &t, &err)) << text << ": " << err;
  return t;
}

TEST_F(ApiTest, JobNextFiresInTheJobsZone) {
  Put(R"({"name":"ny","schedule":"0 30 2 * * *","timezone":"America/New_York"})");
  Response r = Call("GET", "/v1/jobs/ny/next");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["job"], "ny");
  EXPECT_EQ(body["timezone"], "America/New_York");
  EXPECT_FALSE(body.contains("reason"));
  ASSERT_EQ(body["next"].size(), 5u);
  for (const auto& t : body["next"]) {
    const std::string s = t;
    EXPECT_TRUE(s.find("T02:30:00-05:00") != std::string::npos ||
                s.find("T02:30:00-04:00") != std::string::npos)
        << s;
  }
  // From now on (the fake's proposals are stamped earlier, so the job's own
  // `next` is in the past here; tests/api compares the two on a real node).
  EXPECT_GT(ParseRfc3339(body["next"][0]), absl::Now());
  EXPECT_LE(ParseRfc3339(body["next"][0]), absl::Now() + absl::Hours(25));
  EXPECT_LT(ParseRfc3339(body["next"][0]), ParseRfc3339(body["next"][1]));
  EXPECT_EQ(json::parse(Call("GET", "/v1/jobs/ny/next?count=100").body)["next"].size(), 100u);
  EXPECT_EQ(json::parse(Call("GET", "/v1/jobs/ny/next?count=1").body)["next"].size(), 1u);
  for (const char* bad : {"0", "101", "x", "-1"}) {
    r = Call("GET", std::string("/v1/jobs/ny/next?count=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("count"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Call("GET", "/v1/jobs/nope/next").status, 404);
}

TEST_F(ApiTest, JobNextFiresKeepTheEveryPhaseAndSayWhyNone) {
  Put(R"({"name":"ev","schedule":"@every 90s"})");
  json body = json::parse(Call("GET", "/v1/jobs/ev/next?count=3").body);
  EXPECT_EQ(body["timezone"], "UTC");
  ASSERT_EQ(body["next"].size(), 3u);
  EXPECT_EQ(ParseRfc3339(body["next"][1]) - ParseRfc3339(body["next"][0]), absl::Seconds(90));
  EXPECT_EQ(ParseRfc3339(body["next"][2]) - ParseRfc3339(body["next"][1]), absl::Seconds(90));
  // The phase counts from when the schedule was set (the fake stamps
  // every proposal with backend_.now).
  EXPECT_EQ(absl::ToUnixSeconds(ParseRfc3339(body["next"][0])) % 90,
            absl::ToUnixSeconds(backend_.now) % 90);
  EXPECT_GT(ParseRfc3339(body["next"][0]), absl::Now());

  ASSERT_EQ(Call("POST", "/v1/jobs/ev/toggle").status, 200);
  body = json::parse(Call("GET", "/v1/jobs/ev/next").body);
  EXPECT_EQ(body["next"], json::array());
  EXPECT_NE(body["reason"].get<std::string>().find("disabled"), std::string::npos);
  ASSERT_EQ(Call("POST", "/v1/jobs/ev/toggle").status, 200);

  ASSERT_EQ(Call("POST", "/v1/pause").status, 200);
  body = json::parse(Call("GET", "/v1/jobs/ev/next").body);
  EXPECT_EQ(body["next"], json::array());
  EXPECT_NE(body["reason"].get<std::string>().find("paused"), std::string::npos);
  ASSERT_EQ(Call("POST", "/v1/unpause").status, 200);
  EXPECT_EQ(json::parse(Call("GET", "/v1/jobs/ev/next").body)["next"].size(), 5u);

  Put(R"({"name":"man","schedule":"@manually"})");
  body = json::parse(Call("GET", "/v1/jobs/man/next").body);
  EXPECT_EQ(body["next"], json::array());
  EXPECT_NE(body["reason"].get<std::string>().find("@manually"), std::string::npos);
  Put(R"({"name":"child","parent_job":"ev"})");
  body = json::parse(Call("GET", "/v1/jobs/child/next").body);
  EXPECT_NE(body["reason"].get<std::string>().find("parent \"ev\""), std::string::npos);
  // expires_at bounds the list.
  Put(R"({"name":"exp","schedule":"@every 1s","expires_at":"2001-01-01T00:00:00Z"})");
  body = json::parse(Call("GET", "/v1/jobs/exp/next").body);
  EXPECT_EQ(body["next"], json::array());
  EXPECT_NE(body["reason"].get<std::string>().find("expired at 2001-01-01"), std::string::npos);
}

TEST_F(ApiTest, ScheduleNextPreviewsAnUnsavedSchedule) {
  Response r = Call("GET", "/v1/schedule/next?schedule=0+0+9+*+*+*&timezone=Asia/Tokyo&count=2");
  ASSERT_EQ(r.status, 200) << r.body;
  json body = json::parse(r.body);
  EXPECT_EQ(body["timezone"], "Asia/Tokyo");
  EXPECT_EQ(body["schedule"], "0 0 9 * * *");
  EXPECT_EQ(body["job"], "");
  ASSERT_EQ(body["next"].size(), 2u);
  EXPECT_NE(body["next"][0].get<std::string>().find("T09:00:00+09:00"), std::string::npos);
  // A TZ= prefix wins over the timezone parameter.
  body = json::parse(
      Call("GET", "/v1/schedule/next?schedule=TZ%3DEurope/Paris+0+0+9+*+*+*&timezone=UTC").body);
  EXPECT_EQ(body["timezone"], "Europe/Paris");
  // @every counts from now; a past @at has no fire.
  body = json::parse(Call("GET", "/v1/schedule/next?schedule=@every+10s&count=3").body);
  ASSERT_EQ(body["next"].size(), 3u);
  EXPECT_EQ(ParseRfc3339(body["next"][2]) - ParseRfc3339(body["next"][1]), absl::Seconds(10));
  body = json::parse(Call("GET", "/v1/schedule/next?schedule=@at+2001-01-01T00:00:00Z").body);
  EXPECT_EQ(body["next"], json::array());
  EXPECT_TRUE(body.contains("reason"));

  r = Call("GET", "/v1/schedule/next?schedule=61+*+*+*+*+*");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body.rfind("schedule: can't parse job schedule: ", 0), 0u) << r.body;
  r = Call("GET", "/v1/schedule/next?schedule=@daily&timezone=Mars/Olympus");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "timezone: unknown time zone \"Mars/Olympus\"");
  r = Call("GET", "/v1/schedule/next?timezone=UTC");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("schedule"), std::string::npos);
  r = Call("GET", "/v1/schedule/next?schedule=@daily&count=500");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("count"), std::string::npos);
}

TEST_F(ApiTest, RaftPeers) {
  backend_.raft_peers.push_back({"2", "", "127.0.0.1:8301", "standby", false});
  const Response r = Call("GET", "/v1/raft/peers");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "X-Total-Count"), "2");
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"([{"id":"1","name":"node-a","address":"127.0.0.1:8300",
                             "suffrage":"voter","leader":true},
                            {"id":"2","name":"","address":"127.0.0.1:8301",
                             "suffrage":"standby","leader":false}])"));
}

// docs/openapi.json (served embedded) documents exactly the routes served.
TEST_F(ApiTest, OpenApiDocumentsEveryRoute) {
  const json doc = json::parse(Call("GET", "/v1/openapi.json").body);
  std::size_t documented = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) documented += method != "parameters";
  }
  const auto routes = api_.router().Routes();
  for (const auto& [method, pattern] : routes) {
    std::string m = method;
    for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_TRUE(doc["paths"].contains(pattern) && doc["paths"][pattern].contains(m))
        << method << " " << pattern << " is not in docs/openapi.json";
  }
  EXPECT_EQ(documented, routes.size());
}

TEST_F(ApiTest, MiddlewareSeesTheRoute) {
  testing::FakeBackend b;
  std::string seen;
  ApiOptions o;
  o.middleware.push_back([&](Request& r, const Handler& next) {
    seen = r.route;
    if (r.Header("authorization").empty()) return TextError(401, "no token");
    return next(r);
  });
  Api guarded(std::move(o), &b);
  Request req;
  req.method = "GET";
  req.path = "/v1/jobs/x";
  EXPECT_EQ(guarded.Handle(req).status, 401);
  EXPECT_EQ(seen, "/v1/jobs/{job}");
  req.headers = {{"authorization", "Bearer t"}};
  EXPECT_EQ(guarded.Handle(req).status, 404);
}

}  // namespace
}  // namespace ckron::api
