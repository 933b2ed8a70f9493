// Maps (method, path) to a handler. Patterns are literal segments and
// `{name}` parameters ("/v1/jobs/{job}/executions/{id}"); a literal segment
// wins over a parameter at the same position, so "/v1/jobs/{job}/run" and
// "/v1/jobs/{job}/toggle" coexist with "/v1/jobs/{job}". A trailing slash
// is ignored ("/v1/" matches "/v1"), as gin redirects it.
//
// Unknown path: 404. Known path, other method: 404 as well (gin's default,
// which Dkron keeps), except OPTIONS, which the CORS middleware answers.
//
// Thread safety: Add() before serving; Match() is const and safe for
// concurrent use afterwards.
#ifndef CKRON_API_ROUTER_H_
#define CKRON_API_ROUTER_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/http_types.h"

namespace ckron::api {

class Router {
 public:
  // Whether a request may run on the transport's I/O thread (its handler
  // never blocks and answers later through a DeferredResponse).
  using InlineIf = std::function<bool(const Request&)>;

  // REQUIRES: `pattern` starts with '/'; no two routes with the same
  // method and pattern shape. Without `runs_inline` the handler runs on a
  // handler thread (it may block).
  void Add(std::string method, std::string pattern, Handler handler,
           InlineIf runs_inline = nullptr);

  // Whether the request's route runs inline (false for no route). Sets
  // request->route and request->params as Match does.
  bool RunsInline(Request* request) const;

  // The handler for the request, with request->route and request->params
  // set; nullptr when no route matches (route is then "").
  const Handler* Match(Request* request) const;

  // Whether any method serves this path (for OPTIONS preflights).
  bool PathExists(const std::string& path) const;

  // Every (method, pattern), in the order added.
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" for parameters
    int literals = 0;                   // more literal segments win
    Handler handler;
    InlineIf runs_inline;  // empty: never
  };
  const Route* Find(Request* request) const;
  static std::vector<std::string> Split(const std::string& path);
  static bool Matches(const Route& r, const std::vector<std::string>& segs,
                      std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
};

}  // namespace ckron::api

#endif  // CKRON_API_ROUTER_H_
