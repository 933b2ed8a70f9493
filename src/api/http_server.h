// The HTTP/1.1 transport of the API on Boost.Beast: a few I/O threads run
// every socket (accept, read, write, timers) and never block; each complete
// request goes to a pool of handler threads, which may block, and the
// response is written back on the connection's strand -- except requests
// the `runs_inline` predicate names, whose handler runs right on the I/O
// thread (it must not block). A handler may answer later with a deferred
// response (http_types.h, a write answered from Raft's apply callback): the
// final response is built and written on the connection's strand when it
// completes, and no thread waits meanwhile. Connections are kept alive
// between requests.
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
// TLS: with a certificate and key the server speaks HTTPS only (TLS 1.2
// or newer, forward-secret AEAD ciphers for TLS 1.2); with a client CA as
// well, every client must present a certificate that CA signed (mutual
// TLS), else the handshake fails. The handshake shares header_timeout.
//
// Streaming responses (Response::stream, http_types.h): the header goes out
// with chunked transfer encoding, then whatever the producer sends, on the
// connection's strand; no thread waits on an open stream. The transport
// sends Response::heartbeat after stream_heartbeat of silence, reads the
// socket only to notice the client leaving, and ends the connection when
// the stream ends. At most max_streams are open at once (more: 503). Stop()
// ends every open stream (the terminal chunk is sent) before it returns.
//
// Thread safety: Start/Stop from one thread; the handler is called
// concurrently from the handler threads.
#ifndef CKRON_API_HTTP_SERVER_H_
#define CKRON_API_HTTP_SERVER_H_

#include <cstddef>
#include <functional>
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
  // Threads running the handlers that may block (reads, manual runs,
  // restores; not the inline writes, which answer through deferred
  // responses and hold no thread): bounds those in flight at once.
  int handler_threads = 64;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration body_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Seconds(60);
  // The longest a response (or one write of a stream) may take to be
  // written to a slow reader.
  absl::Duration write_timeout = absl::Seconds(30);

  // HTTPS: both set = TLS only; both empty = plain HTTP. PEM files.
  std::string tls_cert_file;  // certificate chain, leaf first
  std::string tls_key_file;   // its private key (unencrypted)
  // PEM CA certificate(s): when set (requires the two above), clients must
  // present a certificate signed by one of them.
  std::string tls_client_ca_file;

  // Streaming responses: how many may be open at once (each costs a socket
  // and a little memory, no thread); how long a stream may stay silent
  // before the heartbeat is sent; how many bytes may wait for a slow
  // reader before its producer is told (StreamSink::Send returns false).
  int max_streams = 1024;
  absl::Duration stream_heartbeat = absl::Seconds(15);
  std::size_t stream_max_queued_bytes = 1 << 20;
};

class HttpServer {
 public:
  // Binds and starts serving. `handler` must be safe for concurrent use and
  // outlive the server. Errors: kInvalidArgument (bad address; a TLS file
  // missing, unreadable or not valid PEM, or a key not matching its
  // certificate: the message names the agent's config key, e.g.
  // https-key-file, and the file), kUnavailable (cannot bind).
  // `runs_inline` (may be empty: none) says which requests' handler may run
  // on the I/O thread that read them; it is called there, after the
  // request was read, and must be cheap and safe for concurrent use.
  static Result<std::unique_ptr<HttpServer>> Start(
      HttpServerOptions options, Handler handler,
      std::function<bool(Request&)> runs_inline = nullptr);
  ~HttpServer();  // Stop()

  // The bound "ip:port".
  std::string address() const;

  // Stops accepting, ends every open stream (waiting a little for their
  // last chunks), closes every connection and waits for running handlers
  // to return. Deferred responses completing later are dropped. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckron::api

#endif  // CKRON_API_HTTP_SERVER_H_
