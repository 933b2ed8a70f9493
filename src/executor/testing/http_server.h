// A small real HTTP/1.1 server for the http executor's tests, on
// Boost.Beast: listens on 127.0.0.1 (an ephemeral port), keeps connections
// alive, optionally speaks TLS (and can require a client certificate),
// counts the connections it accepts and records every request.
//
// Thread safety: the accessors are safe to call from any thread while the
// server runs; the handler runs on one thread per connection.
#ifndef CKRON_EXECUTOR_TESTING_HTTP_SERVER_H_
#define CKRON_EXECUTOR_TESTING_HTTP_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ckron::executor::testing {

struct TestRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string client_subject;  // TLS client certificate subject, if any
};

struct TestResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<TestResponse(const TestRequest&)>;

struct TlsSetup {
  std::string certificate_chain_file;  // PEM
  std::string key_file;                // PEM
  std::string client_ca_file;          // non-empty: require a client certificate it signed
};

class TestHttpServer {
 public:
  explicit TestHttpServer(Handler handler, std::optional<TlsSetup> tls = std::nullopt);
  // Releases blocked handlers, closes every connection, joins every thread.
  ~TestHttpServer();

  // "http://127.0.0.1:<port><path>" (https with TLS).
  std::string Url(const std::string& path) const;
  int connections() const { return connections_.load(); }
  std::vector<TestRequest> requests() const;

  // For handlers: returns once Release() is called or the server stops.
  void BlockUntilReleased();
  void Release();
  // Waits until `n` requests have arrived.
  void WaitForRequests(std::size_t n);

 private:
  struct Impl;
  void AcceptLoop();
  void Serve(std::shared_ptr<void> socket);

  Handler handler_;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;              // GUARDED_BY(mu_)
  std::vector<TestRequest> requests_;  // GUARDED_BY(mu_)
  std::vector<std::thread> sessions_;  // GUARDED_BY(mu_)
  // Every accepted socket, kept open until the destructor so its descriptor
  // number cannot be reused while the destructor shuts it down.
  std::vector<std::shared_ptr<void>> sockets_;  // GUARDED_BY(mu_)
  std::thread acceptor_;
};

}  // namespace ckron::executor::testing

#endif  // CKRON_EXECUTOR_TESTING_HTTP_SERVER_H_
