// Dkron's /v1 REST API (dkron-spec §1, §16) plus ckron's additions
// (docs/api.md), as a request -> response function over the node's Backend.
// The transport (http_server.h) calls Handle() on its handler threads, or
// on its I/O threads for the requests RunsInline() names.
//
// Every response carries X-Whom: <node name> and, for a request with an
// allowed Origin, the CORS headers; `?pretty` indents JSON bodies. Errors are
// text/plain and always carry a message.
//
// Extending it without rework:
//   - middleware (auth, per-route metrics): ApiOptions::middleware runs in
//     order around every handler, after routing (Request::route is the
//     matched pattern, "" for a 404) and before the handler; a middleware
//     may answer by itself (401) or wrap `next`.
//   - a streaming response (SSE): a handler returns a Response with a
//     StreamProducer (http_types.h); the transport writes the header, then
//     what the producer sends (stream_handlers.cc, GET /v1/events).
//
// Thread safety: Handle() is safe for concurrent use once constructed.
#ifndef CKRON_API_API_H_
#define CKRON_API_API_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/backend.h"
#include "api/http_types.h"
#include "api/router.h"

namespace ckron::api {

class EventHub;
namespace internal {
class OutputFollower;
}  // namespace internal

struct ApiOptions {
  // Origins allowed to call the API from a browser; "*" allows any (Dkron's
  // behaviour, the default). An Origin not listed gets no CORS headers.
  std::vector<std::string> cors_origins = {"*"};
  // Around every handler, first = outermost. A middleware must handle a
  // deferred response (Response::deferred: adjust it with Then).
  std::vector<Middleware> middleware;
  // Set when a middleware may block (auth's key derivation on a cache
  // miss): then no route runs inline on the transport's I/O threads (the
  // writes, which otherwise do: RunsInline).
  bool middleware_may_block = false;
  // How long a write (proposal, manual run, cancel) may wait for the
  // cluster before answering 503/504. Longer rides out a leader election;
  // shorter frees handler threads sooner.
  absl::Duration write_timeout = absl::Seconds(15);
  // The body of GET /metrics (Prometheus text, metrics::Metrics::RenderText);
  // empty: /metrics answers 404.
  std::function<std::string()> metrics_text;
  // The feed of GET /v1/events (event_hub.h); null: that endpoint answers
  // 503. Must outlive the Api.
  EventHub* events = nullptr;
  // How often an execution's output stream looks for new output.
  absl::Duration output_poll_interval = absl::Milliseconds(250);
};

class Api {
 public:
  // `backend` must outlive the Api.
  Api(ApiOptions options, Backend* backend);
  ~Api();  // ends the open output streams

  // Answers one request. Never throws: a handler's exception becomes 500.
  // The response may be deferred (Response::deferred): job writes answer
  // once their proposal was applied, without holding the calling thread.
  Response Handle(Request& request) const;

  // Whether Handle(request) never blocks, so the transport may call it on
  // its I/O thread: true for the job writes (upsert without runoncreate,
  // delete, toggle) unless middleware_may_block.
  bool RunsInline(Request& request) const { return router_.RunsInline(&request); }

  const Router& router() const { return router_; }

 private:
  Response Dispatch(Request& request) const;  // routing + middleware + handler
  // The CORS headers for a request's Origin and
  // Access-Control-Request-Headers.
  void AddCors(const std::string& origin, const std::string& asked, Response* response) const;

  const ApiOptions options_;
  Backend* const backend_;
  std::unique_ptr<internal::OutputFollower> output_follower_;
  Router router_;
};

}  // namespace ckron::api

#endif  // CKRON_API_API_H_
