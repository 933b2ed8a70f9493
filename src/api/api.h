// Dkron's /v1 REST API (dkron-spec §1, §16) plus ckron's additions
// (docs/api.md), as a request -> response function over the node's Backend.
// The transport (http_server.h) calls Handle() on its handler threads.
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
//   - a streaming response (SSE): a handler would return a Response whose
//     body is produced by a writer callback; http_server.h documents where
//     the session writes the header and then hands the socket to it.
//
// Thread safety: Handle() is safe for concurrent use once constructed.
#ifndef CKRON_API_API_H_
#define CKRON_API_API_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/backend.h"
#include "api/http_types.h"
#include "api/router.h"

namespace ckron::api {

struct ApiOptions {
  // Origins allowed to call the API from a browser; "*" allows any (Dkron's
  // behaviour, the default). An Origin not listed gets no CORS headers.
  std::vector<std::string> cors_origins = {"*"};
  // Around every handler, first = outermost.
  std::vector<Middleware> middleware;
  // How long a write (proposal, manual run, cancel) may wait for the
  // cluster before answering 503/504. Longer rides out a leader election;
  // shorter frees handler threads sooner.
  absl::Duration write_timeout = absl::Seconds(15);
};

class Api {
 public:
  // `backend` must outlive the Api.
  Api(ApiOptions options, Backend* backend);

  // Answers one request. Never throws: a handler's exception becomes 500.
  Response Handle(Request& request) const;

  const Router& router() const { return router_; }

 private:
  Response Dispatch(Request& request) const;  // routing + middleware + handler
  void AddCors(const Request& request, Response* response) const;

  const ApiOptions options_;
  Backend* const backend_;
  Router router_;
};

}  // namespace ckron::api

#endif  // CKRON_API_API_H_
