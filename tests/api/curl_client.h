// libcurl clients for the HTTPS and streaming API tests: one-shot requests
// with TLS options (CA to verify the server against, client certificate),
// and a Server-Sent Events reader on its own thread that parses events as
// they arrive. Every wait polls with a deadline; nothing asserts on timing.
//
// Thread safety: SseClient's accessors are safe to call from the test
// thread while its reader thread runs; the rest is not thread-safe.
#ifndef CKRON_TESTS_API_CURL_CLIENT_H_
#define CKRON_TESTS_API_CURL_CLIENT_H_

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ckron::testing {

struct CurlTls {
  std::string ca_file;    // verify the server against this CA ("" = no TLS options)
  std::string cert_file;  // client certificate (mutual TLS), PEM
  std::string key_file;   // its key, PEM
};

struct CurlReply {
  int curl_code = 0;  // CURLcode; 0 = the exchange completed
  std::string error;  // curl's message when curl_code != 0
  long status = 0;
  std::string body;
};

// One request to `url`.
CurlReply CurlRequest(const std::string& method, const std::string& url, const CurlTls& tls = {},
                      const std::string& body = "", const std::vector<std::string>& headers = {});

struct SseMessage {
  std::string event;  // "" = "message"
  std::string data;   // data lines joined with "\n"
};

class SseClient {
 public:
  // Starts reading `url` on a thread.
  explicit SseClient(std::string url, CurlTls tls = {});
  ~SseClient();  // aborts the transfer and joins

  // The status once the header arrived (0 before).
  long status() const;
  std::string content_type() const;
  std::vector<SseMessage> events() const;
  int comments() const;  // ": ..." lines seen (heartbeats)
  // Bytes of body received so far (the first, "retry:", comes once the
  // server has subscribed the stream).
  std::size_t bytes() const;
  // True once the transfer ended; code() is then its CURLcode.
  bool finished() const;
  int code() const;

  // Waits until `pred(events())` holds or the transfer ends; returns pred's
  // last value.
  bool WaitFor(const std::function<bool(const std::vector<SseMessage>&)>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Waits for the first event named `name` from index `from` on; its index,
  // or -1.
  int WaitForEvent(const std::string& name, std::size_t from = 0,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  static std::size_t OnData(char* p, std::size_t size, std::size_t n, void* self);
  static std::size_t OnHeader(char* p, std::size_t size, std::size_t n, void* self);
  static int OnProgress(void* self, long long, long long, long long, long long);
  void Run(std::string url, CurlTls tls);

  mutable std::mutex mu_;
  std::string pending_;  // bytes after the last complete event
  std::vector<SseMessage> events_;
  int comments_ = 0;
  std::size_t bytes_ = 0;
  long status_ = 0;
  std::string content_type_;
  bool finished_ = false;
  int code_ = 0;
  bool abort_ = false;
  std::thread thread_;
};

}  // namespace ckron::testing

#endif  // CKRON_TESTS_API_CURL_CLIENT_H_
