// Per-request metrics of the REST API (docs/api.md "Metrics"): a
// middleware counting every answered request into http_requests {route,
// method, code} and timing it into http_duration {route}.
//
// Labels stay bounded whatever clients send: route is the matched pattern
// (Request::route, "/v1/jobs/{job}", never the raw path; "unmatched" for a
// 404), method one of the standard verbs or "other".
//
// Install it first in ApiOptions::middleware (outermost) so that requests
// the auth middleware refuses are counted as 401s.
//
// Thread safety: the middleware is safe for concurrent use.
#ifndef CKRON_API_HTTP_METRICS_H_
#define CKRON_API_HTTP_METRICS_H_

#include <functional>
#include <string>

#include "api/http_types.h"
#include "api/router.h"
#include "metrics/metrics.h"

namespace ckron::api {

// The handles must stay valid (their Metrics alive) while the middleware is used.
Middleware RequestMetrics(metrics::CounterFamily requests, metrics::TimerFamily duration);

// The route label of `request`: its pattern, or "unmatched".
std::string RouteLabel(const Request& request);
// The method label: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or "other".
std::string MethodLabel(const Request& request);

// Adds GET /metrics: Prometheus text format 0.0.4 from `render`
// (metrics::Metrics::RenderText); 404 when `render` is empty.
void AddMetricsRoute(Router& router, std::function<std::string()> render);

}  // namespace ckron::api

#endif  // CKRON_API_HTTP_METRICS_H_
