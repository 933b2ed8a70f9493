// The `http` executor (dkron-spec §5.1; docs/executors.md): one HTTP(S)
// request per execution, on libcurl.
//
//   method, url            required ("method is empty", "url is empty")
//   headers                JSON array of "Name: value"
//   body                   request body
//   timeout                whole-request timeout in seconds (default 30; <= 0: none)
//   expectCode             comma list of accepted status codes (default: any)
//   expectBody             RE2 / Go regexp the body must contain a match of
//   debug                  non-empty: log the request and response, and put
//                          the config at the top of the output
//   tlsNoVerifyPeer        "true": skip certificate and host name checks
//   tlsCertificateFile, tlsCertificateKeyFile   client certificate (PEM)
//   tlsRootCAsFile         CAs to trust instead of the system's (PEM)
//
// The output is the response body (its last 256,000 bytes), streamed to the
// sink as it arrives, after any warnings. Only http and https URLs are
// followed (redirects too, up to 10); environment proxies are not used, as
// in Dkron. Connections are reused across executions (curl_pool.h).
// Cancelling aborts the transfer at once.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_EXECUTOR_BUILTIN_HTTP_H_
#define CKRON_EXECUTOR_BUILTIN_HTTP_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>

#include "executor/executor.h"

namespace ckron::executor {

class CurlPool;

struct HttpOptions {
  // Origins (scheme, host, port + TLS settings) whose idle connections are
  // kept; least recently used beyond this are closed. Dkron: 100 clients.
  std::size_t max_pooled_origins = 100;
  // Idle connections kept per origin: how many concurrent requests to one
  // origin can find a warm connection next time.
  std::size_t max_idle_per_origin = 4;
  // `timeout` when it is empty or not an integer (Dkron: 30 s).
  std::int64_t default_timeout_seconds = 30;
  // With `expectBody`, the whole body is kept to match against, up to this
  // size; a larger body fails the execution ("response body exceeds ...").
  // Without it, only the output ring's 256,000 bytes are kept.
  std::size_t max_match_body_bytes = 16 << 20;
  std::string user_agent = "ckron";
};

class HttpExecutor final : public Executor {
 public:
  explicit HttpExecutor(HttpOptions options = {});
  ~HttpExecutor() override;

  // "url is empty", "method is empty" (checked in that order).
  Status Validate(const ExecutorConfig& config) const override;

  // Errors in the response:
  //   "url is empty", "method is empty", `net/http: invalid method "x"`,
  //   `net/http: invalid header field name "x"` / `... value for "x"`
  //   `Get "<url>": <libcurl's reason>`  no response (connect, TLS, timeout)
  //   `Get "<url>": request cancelled`
  //   "received response code does not match the expected code"
  //   "received response body did not match the expected body"
  //   "expectBody: invalid regular expression: <why>"
  //   "response body exceeds N bytes, too large to match expectBody"
  ExecuteResponse Execute(const ExecuteRequest& request, const OutputSink& sink,
                          std::stop_token stop) override;

  // Idle pooled connections' slots (tests: connection reuse).
  std::size_t idle_slots() const;

 private:
  HttpOptions options_;
  std::unique_ptr<CurlPool> pool_;
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_HTTP_H_
