// The HTTP/1.1 transport of the API on Boost.Beast: a few I/O threads run
// every socket (accept, read, write, timers) and never block; each complete
// request goes to a pool of handler threads, which may block (a write waits
// for its Raft commit), and the response is written back on the
// connection's strand. Connections are kept alive between requests.
//
// Limits, each answered before any handler runs:
//   header bigger than max_header_bytes          431, connection closed
//   body bigger than max_body_bytes              413, connection closed
//   malformed request                            400, connection closed
//   header not complete within header_timeout,
//   body not complete within body_timeout,
//   idle keep-alive longer than idle_timeout     connection closed
// A slow client therefore pins neither a thread nor a socket for long.
//
// A streaming response (SSE, later): the seam is Session::Write in
// http_server.cc — a response carrying a stream writer would be sent with
// its header only (http::response_serializer), after which the writer owns
// the socket on the strand until it ends; the handler contract (Handler in
// http_types.h) stays as is.
//
// Thread safety: Start/Stop from one thread; the handler is called
// concurrently from the handler threads.
#ifndef CKRON_API_HTTP_SERVER_H_
#define CKRON_API_HTTP_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "api/http_types.h"
#include "common/status.h"

namespace ckron::api {

struct HttpServerOptions {
  std::string address = "0.0.0.0:8080";  // host:port to listen on (port 0: any)
  // Socket threads. Two saturate this machine's cores for small requests.
  int io_threads = 2;
  // Threads running handlers; bounds the writes in flight at once (each
  // waits for its commit), so it should cover the concurrent clients
  // expected (64 in the upsert benchmark).
  int handler_threads = 64;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Seconds(60);
  // The longest a response may take to be written to a slow reader.
  absl::Duration write_timeout = absl::Seconds(30);
};

class HttpServer {
 public:
  // Binds and starts serving. `handler` must be safe for concurrent use and
  // outlive the server. Errors: kInvalidArgument (bad address),
  // kUnavailable (cannot bind).
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, Handler handler);
  ~HttpServer();  // Stop()

  // The bound "ip:port".
  std::string address() const;

  // Stops accepting, closes every connection and waits for running
  // handlers to return. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckron::api

#endif  // CKRON_API_HTTP_SERVER_H_
