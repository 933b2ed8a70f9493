#include "api/http_metrics.h"

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <utility>

#include "absl/time/time.h"

namespace ckron::api {

namespace {

constexpr std::array<std::string_view, 7> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                      "PATCH", "DELETE", "OPTIONS"};
constexpr std::string_view kOtherMethod = "other";

// MethodLabel's answer as an index: kMethods.size() is "other".
std::size_t MethodIndex(const std::string& method) {
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    if (method == kMethods[i]) return i;
  }
  return kMethods.size();
}

// The labelled handles the middleware has used, so that a request does not
// build label maps and look them up in the registry (a lock, a hash of the
// labels, an allocation per handle) on its way in and out: with the upsert
// load that was a measurable part of an I/O thread's time. Bounded as the
// labels are: routes x methods x codes.
//
// Thread safety: safe for concurrent use.
class HandleCache {
 public:
  HandleCache(metrics::CounterFamily requests, metrics::TimerFamily duration)
      : requests_(requests), duration_(duration) {}

  // One route's handles. Entries are never removed, so a pointer to one
  // stays valid while the cache lives.
  class Route {
   public:
    Route(const HandleCache* cache, std::string label) : cache_(cache), label_(std::move(label)) {
      duration_ = cache_->duration_.With({{"route", label_}});
    }
    const metrics::Timer& duration() const { return duration_; }
    // The http_requests counter of (method, code).
    metrics::Counter Requests(std::size_t method, int code) {
      const std::pair<std::size_t, int> key(method, code);
      {
        std::shared_lock lock(mu_);
        if (auto it = requests_.find(key); it != requests_.end()) return it->second;
      }
      const std::string_view m = method < kMethods.size() ? kMethods[method] : kOtherMethod;
      metrics::Counter c = cache_->requests_.With(
          {{"route", label_}, {"method", std::string(m)}, {"code", std::to_string(code)}});
      std::unique_lock lock(mu_);
      return requests_.try_emplace(key, c).first->second;
    }

   private:
    const HandleCache* cache_;
    const std::string label_;
    metrics::Timer duration_;
    std::shared_mutex mu_;
    std::map<std::pair<std::size_t, int>, metrics::Counter> requests_;  // guarded by mu_
  };

  Route* Find(const Request& request) {
    const std::string_view label =
        request.route.empty() ? std::string_view("unmatched") : std::string_view(request.route);
    {
      std::shared_lock lock(mu_);
      if (auto it = routes_.find(label); it != routes_.end()) return it->second.get();
    }
    std::unique_lock lock(mu_);
    auto it = routes_.find(label);
    if (it == routes_.end()) {
      it = routes_.emplace(std::string(label), std::make_unique<Route>(this, std::string(label)))
               .first;
    }
    return it->second.get();
  }

 private:
  const metrics::CounterFamily requests_;
  const metrics::TimerFamily duration_;
  std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Route>, std::less<>> routes_;  // guarded by mu_
};

}  // namespace

std::string RouteLabel(const Request& request) {
  return request.route.empty() ? "unmatched" : request.route;
}

std::string MethodLabel(const Request& request) {
  const std::size_t i = MethodIndex(request.method);
  return std::string(i < kMethods.size() ? kMethods[i] : kOtherMethod);
}

Middleware RequestMetrics(metrics::CounterFamily requests, metrics::TimerFamily duration) {
  auto cache = std::make_shared<HandleCache>(requests, duration);
  return [cache](Request& r, const Handler& next) -> Response {
    const auto start = std::chrono::steady_clock::now();
    Response response = next(r);
    auto record = [cache, route = cache->Find(r), method = MethodIndex(r.method),
                   start](const Response& answered) {
      route->Requests(method, answered.status).Increment();
      route->duration().Observe(absl::FromChrono(std::chrono::steady_clock::now() - start));
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
