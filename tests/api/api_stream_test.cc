// The live streams (docs/api.md, "Live streams") against a real
// `ckron agent --server`: /v1/events delivers job and execution changes in
// order with the REST API's JSON, an output stream delivers a run's output
// while it runs and ends with `done`, and a graceful shutdown ends open
// streams cleanly. Waits poll with deadlines; nothing asserts on timing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "api_harness.h"
#include "curl_client.h"
#include "nlohmann/json.hpp"
#include "raft/testing/test_env.h"
#include "shared_cluster_test.h"

namespace ckron::testing {
namespace {

using nlohmann::json;

class ApiStreamTest : public SharedApiClusterTest<ApiStreamTest> {
 public:
  static std::unique_ptr<ApiCluster> MakeCluster() { return std::make_unique<ApiCluster>(1); }

 protected:
  static const std::string& addr() { return cluster_->http(0); }
  static std::string Url(const std::string& target) { return "http://" + addr() + target; }
  static json ShellJob(const std::string& name, const std::string& command) {
    return {{"name", name},
            {"schedule", "@manually"},
            {"executor", "shell"},
            {"executor_config", {{"command", command}, {"shell", "true"}}}};
  }
  static void Put(const json& job) {
    const HttpReply r = Http(addr(), "POST", "/v1/jobs", job.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  static json GetJson(const std::string& target) {
    const HttpReply r = Http(addr(), "GET", target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.status == 200 ? json::parse(r.body) : json();
  }
  // Opens `target` and waits until the server has subscribed it.
  static std::unique_ptr<SseClient> Open(const std::string& target) {
    auto s = std::make_unique<SseClient>(Url(target));
    EXPECT_TRUE(s->WaitFor([&](const auto&) { return s->bytes() > 0; }))
        << "stream never opened, status " << s->status();
    EXPECT_EQ(s->status(), 200);
    EXPECT_EQ(s->content_type(), "text/event-stream; charset=utf-8");
    return s;
  }
  // The id of job's first execution once it is listed.
  static std::string FirstExecutionId(const std::string& job) {
    std::string id;
    Eventually([&] {
      const json list = GetJson("/v1/jobs/" + job + "/executions");
      if (!list.is_array() || list.empty()) return false;
      id = list.back()["id"];
      return true;
    });
    return id;
  }
};

TEST_F(ApiStreamTest, JobChangesArriveInOrderAsTheRestApiShowsThem) {
  auto s = Open("/v1/events?job=life");
  Put(ShellJob("life", "true"));
  const int created = s->WaitForEvent("job");
  ASSERT_GE(created, 0);
  EXPECT_EQ(json::parse(s->events()[created].data), GetJson("/v1/jobs/life"));

  json updated = ShellJob("life", "true");
  updated["retries"] = 2;
  Put(updated);
  const int changed = s->WaitForEvent("job", created + 1);
  ASSERT_GT(changed, created);
  const json changed_json = json::parse(s->events()[changed].data);
  EXPECT_EQ(changed_json["retries"], 2);
  EXPECT_EQ(changed_json, GetJson("/v1/jobs/life"));

  ASSERT_EQ(Http(addr(), "DELETE", "/v1/jobs/life").status, 200);
  const int deleted = s->WaitForEvent("job-deleted", changed + 1);
  ASSERT_GT(deleted, changed);
  EXPECT_EQ(json::parse(s->events()[deleted].data), json({{"name", "life"}}));
}

TEST_F(ApiStreamTest, ConnectingSendsTheCurrentLeaderFirst) {
  auto s = Open("/v1/events?job=any");
  const int first = s->WaitForEvent("leader");
  ASSERT_EQ(first, 0);
  const json leader = json::parse(s->events()[0].data);
  EXPECT_EQ(leader["leader"], cluster_->name(0)) << leader;
  EXPECT_GE(leader["term"].get<int>(), 1) << leader;
  EXPECT_EQ(leader["leader"], json::parse(Http(addr(), "GET", "/v1/leader").body)["Name"]);
}

TEST_F(ApiStreamTest, JobFilterSkipsOtherJobs) {
  auto s = Open("/v1/events?job=wanted");
  Put(ShellJob("unwanted", "true"));
  Put(ShellJob("wanted", "true"));
  const int i = s->WaitForEvent("job");
  ASSERT_GE(i, 0);
  for (const SseMessage& m : s->events()) {
    if (m.event == "leader") continue;  // sent to every subscriber
    EXPECT_EQ(json::parse(m.data)["name"], "wanted") << m.event << " " << m.data;
  }
}

TEST_F(ApiStreamTest, ExecutionEventsOnStartAndOnFinish) {
  // The run waits for a file, so that its start is seen before its end
  // (an execution event carries the record as it is when sent).
  raft::testing::TempDir dir("ckron-stream");
  const std::string release = (dir.path() / "release").string();
  auto s = Open("/v1/events?job=runme");
  Put(ShellJob("runme", "while [ ! -f " + release + " ]; do sleep 0.1; done; echo ran"));
  ASSERT_EQ(Http(addr(), "POST", "/v1/jobs/runme/run").status, 200);
  const int started = s->WaitForEvent("execution");
  ASSERT_GE(started, 0);
  const json start = json::parse(s->events()[started].data);
  EXPECT_EQ(start["job_name"], "runme");
  EXPECT_EQ(start["finished_at"], "0001-01-01T00:00:00Z");
  std::ofstream(release) << "go";
  const int finished = s->WaitForEvent("execution", started + 1);
  ASSERT_GT(finished, started);
  const json finish = json::parse(s->events()[finished].data);
  EXPECT_EQ(finish["id"], start["id"]);
  EXPECT_EQ(finish["success"], true);
  EXPECT_EQ(finish["output"], "ran\n");
  const json list = GetJson("/v1/jobs/runme/executions");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(finish, list[0]);
}

TEST_F(ApiStreamTest, OutputStreamDeliversOutputBeforeTheRunFinishesThenDone) {
  raft::testing::TempDir dir("ckron-stream");
  const std::string release = (dir.path() / "release").string();
  Put(ShellJob("out",
               "echo first; while [ ! -f " + release + " ]; do sleep 0.1; done; echo second"));
  ASSERT_EQ(Http(addr(), "POST", "/v1/jobs/out/run").status, 200);
  const std::string id = FirstExecutionId("out");
  ASSERT_FALSE(id.empty());
  auto s = Open("/v1/jobs/out/executions/" + id + "/output");
  ASSERT_TRUE(s->WaitFor([](const std::vector<SseMessage>& ev) {
    for (const auto& m : ev) {
      if (m.event == "output" && json::parse(m.data)["chunk"] == "first\n") return true;
    }
    return false;
  })) << "no output event with the first line";
  // The command waits for the release file: the run cannot have finished.
  EXPECT_EQ(GetJson("/v1/jobs/out/executions/" + id)["finished_at"], "0001-01-01T00:00:00Z");
  EXPECT_LT(s->WaitForEvent("done", 0, std::chrono::milliseconds(0)), 0);

  std::ofstream(release) << "go";
  const int done = s->WaitForEvent("done");
  ASSERT_GE(done, 0);
  const json execution = json::parse(s->events()[done].data);
  EXPECT_EQ(execution["id"], id);
  EXPECT_EQ(execution["success"], true);
  EXPECT_EQ(execution["output"], "first\nsecond\n");
  std::string streamed;
  for (int i = 0; i < done; ++i) {
    if (s->events()[i].event == "output") streamed += json::parse(s->events()[i].data)["chunk"];
  }
  EXPECT_EQ(streamed, "first\nsecond\n");
  ASSERT_TRUE(s->WaitFor([&](const auto&) { return s->finished(); }));
  EXPECT_EQ(s->code(), 0) << "the stream did not end with its last chunk";
}

TEST_F(ApiStreamTest, FinishedExecutionStreamsItsStoredOutputThenDone) {
  Put(ShellJob("past", "echo stored"));
  ASSERT_EQ(Http(addr(), "POST", "/v1/jobs/past/run").status, 200);
  const std::string id = FirstExecutionId("past");
  ASSERT_TRUE(Eventually([&] {
    return GetJson("/v1/jobs/past/executions/" + id)["finished_at"] != "0001-01-01T00:00:00Z";
  }));
  SseClient s(Url("/v1/jobs/past/executions/" + id + "/output"));
  ASSERT_TRUE(s.WaitFor([&](const auto&) { return s.finished(); }));
  EXPECT_EQ(s.code(), 0);
  const auto ev = s.events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].event, "output");
  EXPECT_EQ(json::parse(ev[0].data)["chunk"], "stored\n");
  EXPECT_EQ(ev[1].event, "done");
  EXPECT_EQ(json::parse(ev[1].data)["id"], id);
}

TEST_F(ApiStreamTest, OutputOfUnknownJobOrExecutionIs404) {
  Put(ShellJob("known", "true"));
  const CurlReply job = CurlRequest("GET", Url("/v1/jobs/ghost/executions/x/output"));
  EXPECT_EQ(job.status, 404);
  EXPECT_NE(job.body.find("job \"ghost\" not found"), std::string::npos) << job.body;
  const CurlReply exec = CurlRequest("GET", Url("/v1/jobs/known/executions/nope/output"));
  EXPECT_EQ(exec.status, 404);
  EXPECT_NE(exec.body.find("execution \"nope\""), std::string::npos) << exec.body;
}

TEST(ApiStreamShutdown, GracefulShutdownEndsOpenStreamsCleanly) {
  ApiCluster node(1);
  ASSERT_TRUE(node.Start().ok());
  SseClient events("http://" + node.http(0) + "/v1/events");
  ASSERT_TRUE(events.WaitFor([&](const auto&) { return events.bytes() > 0; }));
  ASSERT_EQ(Http(node.http(0), "POST", "/v1/leave").status, 200);
  ASSERT_TRUE(events.WaitFor([&](const auto&) { return events.finished(); }));
  EXPECT_EQ(events.code(), 0) << "the stream was cut, not ended";
  EXPECT_TRUE(Eventually([&] { return !node.Running(0); }));
}

}  // namespace
}  // namespace ckron::testing
