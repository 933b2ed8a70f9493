// The request metrics middleware and GET /metrics over a FakeBackend.
#include "api/http_metrics.h"

#include <gtest/gtest.h>

#include "api/api.h"
#include "api/testing/fake_backend.h"
#include "api/testing/settle.h"

namespace ckron::api {
namespace {

Response Call(const Api& api, const std::string& method, const std::string& target) {
  Request req;
  req.method = method;
  req.target = target;
  EXPECT_TRUE(ParseTarget(target, &req.path, &req.query));
  return ::ckron::api::testing::Settle(api.Handle(req));
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(HttpMetrics, CountsByRoutePatternMethodAndCode) {
  metrics::Metrics m;
  testing::FakeBackend b;
  Api api(ApiOptions{.middleware = {RequestMetrics(m.http_requests, m.http_duration)},
                     .metrics_text = [&m] { return m.RenderText(); }},
          &b);
  EXPECT_EQ(Call(api, "GET", "/v1/jobs/a").status, 404);
  EXPECT_EQ(Call(api, "GET", "/v1/jobs/b").status, 404);
  EXPECT_EQ(Call(api, "GET", "/v1/jobs").status, 200);
  EXPECT_EQ(Call(api, "GET", "/nowhere/x").status, 404);
  EXPECT_EQ(Call(api, "BREW", "/v1/jobs").status, 404);
  const Response r = Call(api, "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& t = r.body;
  EXPECT_TRUE(
      Has(t, "ckron_http_requests_total{code=\"404\",method=\"GET\",route=\"/v1/jobs/{job}\"} 2"))
      << t;
  EXPECT_TRUE(Has(t, "ckron_http_requests_total{code=\"200\",method=\"GET\",route=\"/v1/jobs\"} 1"))
      << t;
  EXPECT_TRUE(Has(t, "code=\"404\",method=\"GET\",route=\"unmatched\"} 1")) << t;
  EXPECT_TRUE(Has(t, "method=\"other\"")) << t;
  EXPECT_FALSE(Has(t, "BREW")) << t;
  EXPECT_FALSE(Has(t, "/v1/jobs/a")) << t;
  EXPECT_TRUE(Has(t, "ckron_http_request_seconds_count{route=\"/v1/jobs/{job}\"} 2")) << t;
  EXPECT_TRUE(Has(t, "dkron_scheduler_start")) << t;
}

TEST(HttpMetrics, NoRendererMeans404) {
  testing::FakeBackend b;
  Api api(ApiOptions{}, &b);
  const Response r = Call(api, "GET", "/metrics");
  EXPECT_EQ(r.status, 404);
  EXPECT_FALSE(r.body.empty());
}

TEST(HttpMetrics, Labels) {
  Request r;
  r.method = "PATCH";
  EXPECT_EQ(MethodLabel(r), "PATCH");
  r.method = "get";  // the transport upper-cases; anything else is "other"
  EXPECT_EQ(MethodLabel(r), "other");
  EXPECT_EQ(RouteLabel(r), "unmatched");
  r.route = "/v1/jobs/{job}";
  EXPECT_EQ(RouteLabel(r), "/v1/jobs/{job}");
}

}  // namespace
}  // namespace ckron::api
