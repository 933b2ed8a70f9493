// The API's own view of one HTTP exchange, independent of Boost.Beast: the
// router, the middleware and every handler see only these values, so they
// are unit-tested without sockets and the transport (http_server.h) can
// change (TLS, HTTP/2) without touching them.
//
// Thread safety: plain values.
#ifndef CKRON_API_HTTP_TYPES_H_
#define CKRON_API_HTTP_TYPES_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ckron::api {

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as received: path plus query ("/v1/jobs?_start=0")
  std::string path;    // percent-decoded path without the query
  // Query parameters in order of appearance, percent-decoded; a parameter
  // without '=' has the value "".
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;  // "ip:port" of the client

  // Filled by the router: the matched route's pattern ("/v1/jobs/{job}",
  // for per-route metrics) and its path parameters.
  std::string route;
  std::map<std::string, std::string> params;

  // The first value of query parameter `name`, if present.
  std::optional<std::string> Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const { return Query(name).has_value(); }
  // "" when absent.
  std::string Param(const std::string& name) const;
  std::string Header(const std::string& lower_name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void SetHeader(std::string name, std::string value);
};

// A handler answers one request. Handlers may block (they may wait for a
// Raft commit); the server runs them on its handler pool, never on an I/O
// thread.
using Handler = std::function<Response(Request&)>;

// Middleware wraps the rest of the chain: it may answer by itself (auth:
// 401) or call `next` and adjust the response (metrics, CORS). The router
// has matched the route before middleware runs, so Request::route is set
// (empty for an unknown route).
using Middleware = std::function<Response(Request&, const Handler& next)>;

// A text/plain error response: Dkron's error shape, but never empty.
Response TextError(int status, std::string message);

// Splits "path?query" into a decoded path and query pairs. False when the
// target is not a usable origin-form target (no leading '/', bad
// percent-encoding).
bool ParseTarget(std::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query);

}  // namespace ckron::api

#endif  // CKRON_API_HTTP_TYPES_H_
