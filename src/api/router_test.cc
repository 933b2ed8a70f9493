#include "api/router.h"

#include <gtest/gtest.h>

namespace ckron::api {
namespace {

Handler Named(std::string name) {
  return [name](Request&) {
    Response r;
    r.body = name;
    return r;
  };
}

std::string Route(const Router& router, std::string method, std::string path,
                  Request* out = nullptr) {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  const Handler* h = router.Match(&req);
  if (out != nullptr) *out = req;
  return h == nullptr ? "404" : (*h)(req).body;
}

TEST(Router, LiteralBeatsParameter) {
  Router r;
  r.Add("POST", "/v1/jobs/{job}", Named("run"));
  r.Add("POST", "/v1/jobs/{job}/toggle", Named("toggle"));
  r.Add("POST", "/v1/jobs/{job}/run", Named("run2"));
  r.Add("GET", "/v1/jobs/{job}/executions/{id}", Named("exec"));
  r.Add("POST", "/v1/pause", Named("pause"));
  r.Add("POST", "/v1/{x}", Named("param"));
  EXPECT_EQ(Route(r, "POST", "/v1/jobs/a"), "run");
  EXPECT_EQ(Route(r, "POST", "/v1/jobs/a/toggle"), "toggle");
  EXPECT_EQ(Route(r, "POST", "/v1/jobs/a/run"), "run2");
  EXPECT_EQ(Route(r, "POST", "/v1/pause"), "pause");
  Request req;
  EXPECT_EQ(Route(r, "GET", "/v1/jobs/a/executions/1-n", &req), "exec");
  EXPECT_EQ(req.Param("job"), "a");
  EXPECT_EQ(req.Param("id"), "1-n");
  EXPECT_EQ(req.route, "/v1/jobs/{job}/executions/{id}");
}

TEST(Router, UnknownPathOrMethodIs404) {
  Router r;
  r.Add("GET", "/v1/jobs", Named("list"));
  Request req;
  EXPECT_EQ(Route(r, "GET", "/v1/nope", &req), "404");
  EXPECT_EQ(req.route, "");
  EXPECT_EQ(Route(r, "DELETE", "/v1/jobs"), "404");
  EXPECT_TRUE(r.PathExists("/v1/jobs"));
  EXPECT_FALSE(r.PathExists("/v1/nope"));
}

TEST(Router, TrailingSlashIgnored) {
  Router r;
  r.Add("GET", "/v1", Named("index"));
  EXPECT_EQ(Route(r, "GET", "/v1/"), "index");
  EXPECT_EQ(Route(r, "GET", "/v1"), "index");
}

TEST(ParseTarget, DecodesPathAndQuery) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> q;
  ASSERT_TRUE(ParseTarget("/v1/jobs?metadata%5Bteam%5D=a+b&pretty&_start=1", &path, &q));
  EXPECT_EQ(path, "/v1/jobs");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>{"metadata[team]", "a b"}));
  EXPECT_EQ(q[1], (std::pair<std::string, std::string>{"pretty", ""}));
  EXPECT_FALSE(ParseTarget("/v1/%zz", &path, &q));
  EXPECT_FALSE(ParseTarget("/v1/%2", &path, &q));
  EXPECT_FALSE(ParseTarget("v1", &path, &q));
}

}  // namespace
}  // namespace ckron::api
