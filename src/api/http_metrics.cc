#include "api/http_metrics.h"

#include <array>
#include <chrono>
#include <string_view>

#include "absl/time/time.h"

namespace ckron::api {

std::string RouteLabel(const Request& request) {
  return request.route.empty() ? "unmatched" : request.route;
}

std::string MethodLabel(const Request& request) {
  static constexpr std::array<std::string_view, 7> kKnown = {"GET",   "HEAD",   "POST",   "PUT",
                                                             "PATCH", "DELETE", "OPTIONS"};
  for (std::string_view m : kKnown) {
    if (request.method == m) return std::string(m);
  }
  return "other";
}

Middleware RequestMetrics(metrics::CounterFamily requests, metrics::TimerFamily duration) {
  return [requests, duration](Request& r, const Handler& next) -> Response {
    const auto start = std::chrono::steady_clock::now();
    Response response = next(r);
    auto record = [requests, duration, start, route = RouteLabel(r),
                   method = MethodLabel(r)](const Response& answered) {
      requests
          .With({{"route", route}, {"method", method}, {"code", std::to_string(answered.status)}})
          .Increment();
      duration.With({{"route", route}})
          .Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
    };
    if (response.deferred) {
      // Counted and timed when it is answered.
      response.deferred->Then([record](Response& answered) { record(answered); });
    } else {
      record(response);
    }
    return response;
  };
}

void AddMetricsRoute(Router& router, std::function<std::string()> render) {
  router.Add("GET", "/metrics", [render = std::move(render)](Request&) {
    if (!render) return TextError(404, "metrics are not served by this process");
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = render();
    return r;
  });
}

}  // namespace ckron::api
