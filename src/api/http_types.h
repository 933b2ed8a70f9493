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
#include <memory>
#include <mutex>
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

// The transport's end of a streaming response (http_server.h).
//
// Thread safety: safe for concurrent use.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues `bytes` for the client and returns at once. False, and nothing
  // queued, when the stream has ended or when the client is so slow that
  // the transport's bound of queued bytes is reached: the producer should
  // then End() it (a slow reader is dropped, never waited for).
  virtual bool Send(std::string bytes) = 0;
  // Queues `last` (even over the bound), then ends the response and closes
  // the connection. Idempotent; later Sends return false.
  virtual void End(std::string last = "") = 0;
};

// The body of a streaming response (Server-Sent Events). The transport
// writes the status and headers, then calls Start once with the sink; it
// calls Stop once when the stream ends for any reason (the client went
// away, the server stops, End was called). Neither may block: they run on
// the transport's I/O threads. After Stop returns the producer must not
// use the sink any more (it would get false anyway).
//
// Thread safety: Start and Stop are not called concurrently with each other.
class StreamProducer {
 public:
  virtual ~StreamProducer() = default;
  virtual void Start(std::shared_ptr<StreamSink> sink) = 0;
  virtual void Stop() = 0;
};

class DeferredResponse;

struct Response {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set for a streaming response: `body` is ignored, and the transport
  // sends `heartbeat` whenever the stream was silent for its heartbeat
  // interval (an SSE comment keeps proxies from timing the stream out).
  std::shared_ptr<StreamProducer> stream;
  std::string heartbeat;
  // Set for a response answered later (DeferredResponse): every other field
  // is ignored, and the transport writes what the deferred response
  // completes with.
  std::shared_ptr<DeferredResponse> deferred;

  void SetHeader(std::string name, std::string value);
};

// A response that is completed after its handler returned, from any thread:
// a write answered from Raft's apply callback instead of a thread waiting
// for it. The handler returns Response{.deferred = d} and hands `d` to
// whatever completes it; middleware adds steps that adjust the final
// response (headers, metrics); the transport says where it goes.
//
// The final response is built by the transport's sink -- on the
// connection's I/O thread in HttpServer -- by running the maker given to
// Complete and then the steps in the order added, so the thread completing
// (the raft loop) only hands over. If it is destroyed without having been
// completed, the sink gets a 500 (a bug: something dropped it).
//
// Thread safety: safe for concurrent use.
class DeferredResponse {
 public:
  using Maker = std::function<Response()>;
  // Gets a function building the final response; the sink runs it once.
  using Sink = std::function<void(Maker)>;

  DeferredResponse() = default;
  ~DeferredResponse();
  DeferredResponse(const DeferredResponse&) = delete;
  DeferredResponse& operator=(const DeferredResponse&) = delete;

  // Completes with what `make` returns (a maker that throws answers 500).
  // Later calls are ignored. Never blocks on the sink's work.
  void Complete(Maker make);
  void Complete(Response response);
  // Middleware: runs `step` on the final response. REQUIRES: called before
  // the handler chain returns to the transport (before SetSink).
  void Then(std::function<void(Response&)> step);
  // The transport: where the final response goes. Called once; if already
  // completed, `sink` is called before this returns.
  void SetSink(Sink sink);

 private:
  // Hands the final response to the sink once both are present.
  void MaybeDeliver(std::unique_lock<std::mutex>& lock);

  std::mutex mu_;
  // Guarded by mu_.
  Maker make_;
  std::vector<std::function<void(Response&)>> steps_;
  Sink sink_;
  bool delivered_ = false;
};

// A handler answers one request. A handler may block (it may wait for a
// Raft commit): the server then runs it on its handler pool. A route marked
// to run inline (Router::Add) must not block: its handler runs on the I/O
// thread and answers later through a DeferredResponse.
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
