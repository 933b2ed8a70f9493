#include "api/api.h"

#include <algorithm>
#include <exception>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "api/handlers.h"
#include "api/http_metrics.h"
#include "api/output_follower.h"
#include "api/ui_assets.h"
#include "common/log.h"

namespace ckron::api {
namespace internal {

Response JsonResponse(const Request& request, int status, const Json& body) {
  return JsonResponse(request.HasQuery("pretty"), status, body);
}

Response JsonResponse(bool pretty, int status, const Json& body) {
  Response r;
  r.status = status;
  r.body = Dump(body, pretty);
  return r;
}

Response ProposeThen(Backend* backend, fsm::Command command, absl::Time deadline,
                     std::function<Response(const Result<fsm::Outcome>&)> answer) {
  auto deferred = std::make_shared<DeferredResponse>();
  backend->ProposeAsync(std::move(command), deadline,
                        [deferred, answer = std::move(answer)](ProposedOutcome outcome) {
                          // Only hands over: the outcome is decoded and the answer built
                          // where the sink runs it (the connection's I/O thread).
                          deferred->Complete([answer, outcome = std::make_shared<ProposedOutcome>(
                                                          std::move(outcome))] {
                            return answer(std::move(*outcome).Decode());
                          });
                        });
  Response r;
  r.deferred = std::move(deferred);
  return r;
}

Response JobResponse(bool pretty, int status, const fsm::Job* job) {
  if (pretty || job == nullptr) {
    return JsonResponse(pretty, status, job ? JobToJson(*job) : Json(nullptr));
  }
  Response r;
  r.status = status;
  r.body = JobJsonText(*job);
  return r;
}

Response OutcomeJobResponse(bool pretty, int status, const fsm::Outcome& outcome) {
  return JobResponse(pretty, status, outcome.job.get());
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kTimeout:
      return 504;
    case StatusCode::kNotLeader:
    case StatusCode::kUnavailable:
    case StatusCode::kOutcomeUnknown:
    case StatusCode::kCancelled:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorResponse(const Status& status, std::optional<int> status_override) {
  std::string message = status.message();
  if (status.code() == StatusCode::kOutcomeUnknown) {
    message += " (the write may or may not have been applied; retrying it is safe)";
  }
  return TextError(status_override.value_or(HttpStatusFor(status)), std::move(message));
}

Result<long long> IntQuery(const Request& request, const char* name, long long fallback) {
  const auto v = request.Query(name);
  if (!v || v->empty()) return fallback;
  long long n = 0;
  if (!absl::SimpleAtoi(*v, &n) || n < 0) {
    return Status::InvalidArgument(std::string("query parameter ") + name +
                                   " must be a non-negative integer, got \"" + *v + "\"");
  }
  return n;
}

Router::InlineIf InlineUnlessMiddlewareBlocks(const ApiOptions& options) {
  if (options.middleware_may_block) return nullptr;
  return [](const Request&) { return true; };
}

absl::Time WriteDeadline(const ApiOptions& options) {
  return absl::Now() + options.write_timeout;
}

}  // namespace internal

Api::Api(ApiOptions options, Backend* backend)
    : options_(std::move(options)),
      backend_(backend),
      output_follower_(
          std::make_unique<internal::OutputFollower>(backend_, options_.output_poll_interval)) {
  internal::AddJobRoutes(router_, backend_, options_);
  internal::AddExecutionRoutes(router_, backend_, options_);
  internal::AddClusterRoutes(router_, backend_, options_);
  internal::AddRestoreRoute(router_, backend_, options_);
  internal::AddScheduleRoutes(router_, backend_);
  AddMetricsRoute(router_, options_.metrics_text);
  internal::AddStreamRoutes(router_, backend_, options_, output_follower_.get());
  internal::AddUiRoutes(router_);
}

Api::~Api() = default;

Response Api::Dispatch(Request& request) const {
  const Handler* handler = router_.Match(&request);
  Handler inner = [&](Request& r) -> Response {
    if (r.method == "OPTIONS" && router_.PathExists(r.path)) {
      Response pre;
      pre.status = 204;
      pre.content_type.clear();
      return pre;
    }
    if (handler == nullptr) {
      return TextError(404, "no route for " + r.method + " " + r.path);
    }
    return (*handler)(r);
  };
  // Build the chain inside out: middleware[0] is the outermost.
  for (auto it = options_.middleware.rbegin(); it != options_.middleware.rend(); ++it) {
    inner = [mw = *it, next = std::move(inner)](Request& r) { return mw(r, next); };
  }
  return inner(request);
}

Response Api::Handle(Request& request) const {
  Response response;
  try {
    response = Dispatch(request);
  } catch (const std::exception& e) {
    logging::Get("api")->error("api: {} {} failed: {}", request.method, request.target, e.what());
    response = TextError(500, std::string("internal error: ") + e.what());
  }
  if (response.deferred) {
    response.deferred->Then(
        [this, origin = request.Header("origin"),
         asked = request.Header("access-control-request-headers")](Response& r) {
          r.SetHeader("X-Whom", backend_->node_name());
          AddCors(origin, asked, &r);
        });
    return response;
  }
  response.SetHeader("X-Whom", backend_->node_name());
  AddCors(request.Header("origin"), request.Header("access-control-request-headers"), &response);
  return response;
}

void Api::AddCors(const std::string& origin, const std::string& asked, Response* response) const {
  if (origin.empty()) return;
  const auto& allowed = options_.cors_origins;
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  if (!any && std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return;
  response->SetHeader("Access-Control-Allow-Origin", any ? "*" : origin);
  if (!any) response->SetHeader("Vary", "Origin");
  response->SetHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
  response->SetHeader("Access-Control-Allow-Headers", asked.empty() ? "*" : asked);
  response->SetHeader("Access-Control-Expose-Headers", "X-Total-Count, X-Whom, Location");
  response->SetHeader("Access-Control-Max-Age", "600");
}

}  // namespace ckron::api
