// Closed-loop write load for the Raft benchmark: N connections to one server
// on 127.0.0.1, each with exactly one request outstanding, driven by a single
// poll() thread (so the client costs little CPU on a 2-core machine that also
// runs the three servers). The same loop drives ckron's test driver (line
// protocol) and etcd's HTTP/JSON gateway (POST /v3/kv/put with keep-alive).
//
// Thread safety: not thread-safe; RunLoad runs on the calling thread.
#ifndef CKRON_BENCH_RAFT_LOAD_H_
#define CKRON_BENCH_RAFT_LOAD_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ckron::bench {

class WireProtocol {
 public:
  virtual ~WireProtocol() = default;
  // The bytes of request number `seq` on connection `conn`.
  virtual std::string Request(int conn, std::uint64_t seq) = 0;
  struct Parsed {
    std::size_t consumed = 0;  // 0: the reply is not complete yet
    bool ok = false;
  };
  virtual Parsed Parse(std::string_view buffer) = 0;
};

// "PUT <key> <value>\n" -> "OK <index>\n".
std::unique_ptr<WireProtocol> DriverProtocol(std::size_t value_bytes);
// HTTP/1.1 POST /v3/kv/put {"key","value"} (base64) -> 200.
std::unique_ptr<WireProtocol> EtcdProtocol(std::uint16_t port, std::size_t value_bytes);

struct LoadResult {
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  double seconds = 0;
  std::vector<double> latency_ms;  // of the ok requests in the measured window
  double ops_per_s() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
  double percentile_ms(double p) const;  // p in [0, 100]
};

// Warms up for `warmup`, then measures for `measure`.
Result<LoadResult> RunLoad(std::uint16_t port, WireProtocol& protocol, int connections,
                           std::chrono::milliseconds warmup, std::chrono::milliseconds measure);

// One blocking HTTP/1.1 request on a fresh connection. Returns the status code
// and fills *body.
Result<int> HttpPost(std::uint16_t port, const std::string& path, const std::string& body,
                     std::string* reply_body, std::chrono::milliseconds timeout);
Result<int> HttpGet(std::uint16_t port, const std::string& path, std::string* reply_body,
                    std::chrono::milliseconds timeout);

std::string Base64(std::string_view in);

double Percentile(std::vector<double> values, double p);

}  // namespace ckron::bench

#endif  // CKRON_BENCH_RAFT_LOAD_H_
