// Internal to api/: the route groups and the helpers their handlers share.
// Each handler decodes, makes one Backend call and maps the result to the
// wire (style.md §7).
#ifndef CKRON_API_HANDLERS_H_
#define CKRON_API_HANDLERS_H_

#include <functional>
#include <optional>
#include <string>

#include "api/api.h"
#include "api/json_codec.h"

namespace ckron::api::internal {

// Registers the routes of one group.
void AddJobRoutes(Router& router, Backend* backend, const ApiOptions& options);
void AddExecutionRoutes(Router& router, Backend* backend, const ApiOptions& options);
void AddClusterRoutes(Router& router, Backend* backend, const ApiOptions& options);
void AddRestoreRoute(Router& router, Backend* backend, const ApiOptions& options);
// ckron: upcoming fire times of a job or an unsaved schedule.
void AddScheduleRoutes(Router& router, Backend* backend);
// The live streams (SSE); `follower` must outlive the router.
void AddStreamRoutes(Router& router, Backend* backend, const ApiOptions& options,
                     OutputFollower* follower);

// A JSON response; indented when the request has ?pretty (or `pretty`).
Response JsonResponse(const Request& request, int status, const Json& body);
Response JsonResponse(bool pretty, int status, const Json& body);

// Proposes `command` without blocking and answers later: the response is
// deferred (http_types.h) and `answer` builds it from the outcome, on the
// transport's I/O thread, once the command was applied or failed. So the
// handler may run inline.
Response ProposeThen(Backend* backend, fsm::Command command, absl::Time deadline,
                     std::function<Response(const Result<fsm::Outcome>&)> answer);

// A response with the job (or null), as JsonResponse(JobToJson(job))
// would write it; OutcomeJobResponse with the job an applied command
// returned.
Response JobResponse(bool pretty, int status, const fsm::Job* job);
Response OutcomeJobResponse(bool pretty, int status, const fsm::Outcome& outcome);

// The HTTP status for a Status code (docs/api.md, "Errors").
int HttpStatusFor(const Status& status);
// A text/plain error with the status's message, at HttpStatusFor or at
// `status_override` when given.
Response ErrorResponse(const Status& status, std::optional<int> status_override = std::nullopt);

// An integer query parameter: `fallback` when absent; kInvalidArgument
// naming the parameter when not an integer or negative.
Result<long long> IntQuery(const Request& request, const char* name, long long fallback);

// A route predicate for handlers that never block and do bounded work
// (Router::Add): always inline, unless a middleware may block
// (ApiOptions::middleware_may_block), then never.
Router::InlineIf InlineUnlessMiddlewareBlocks(const ApiOptions& options);

// The deadline for a write started now.
absl::Time WriteDeadline(const ApiOptions& options);

}  // namespace ckron::api::internal

#endif  // CKRON_API_HANDLERS_H_
