// Black-box harness for the REST API tests: real `ckron agent --server`
// processes on 127.0.0.1 (free ports, a scratch directory each, killed and
// reaped when the harness goes, pass or fail), and a small blocking HTTP
// client speaking to them over real sockets (Boost.Beast), including raw
// bytes for malformed requests. Every wait polls with a deadline; nothing
// asserts on timing.
//
// Thread safety: not thread-safe; one test thread.
#ifndef CKRON_TESTS_API_API_HARNESS_H_
#define CKRON_TESTS_API_API_HARNESS_H_

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "raft/testing/process.h"
#include "raft/testing/test_env.h"

namespace ckron::testing {

using namespace std::chrono_literals;

struct HttpReply {
  int status = 0;  // 0: no answer (connection failed or closed)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

// One request on a fresh connection to `hostport`.
HttpReply Http(const std::string& hostport, const std::string& method, const std::string& target,
               const std::string& body = "",
               const std::map<std::string, std::string>& headers = {});
// Writes `bytes` as they are and returns what the server answers until it
// closes the connection or `wait` passes (raw text, "" if nothing).
std::string RawExchange(const std::string& hostport, const std::string& bytes,
                        std::chrono::milliseconds wait = 5s);

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 30s);

// `ckron hash-secret` run on `secret` (1,000 iterations: fast, for tests);
// on failure the command's output prefixed with "hash-secret failed: ", so
// a server given it refuses to start and says why.
std::string HashSecret(const std::string& secret);

// N servers started with --bootstrap-expect N, each with its HTTP API on a
// free port; Start() returns once every server's /ready says it knows a
// leader.
class ApiCluster {
 public:
  // `ready` tells whether the server at "ip:port" serves (default: plain
  // HTTP GET /ready answers 200; HTTPS tests pass their own).
  explicit ApiCluster(int servers, std::vector<std::string> extra_args = {},
                      std::function<bool(const std::string&)> ready = {});
  ~ApiCluster();
  Status Start();
  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& http(int i) const { return nodes_[static_cast<std::size_t>(i)].http; }
  const std::string& name(int i) const { return nodes_[static_cast<std::size_t>(i)].name; }
  // The index of the server whose /v1/isleader says it leads, or -1.
  int Leader() const;
  bool Running(int i);
  // SIGKILL server i and reap it.
  void Kill(int i);
  std::string Log(int i) const;
  std::string Describe() const;

 private:
  struct Node {
    std::string name, http;
    int gossip = 0, rpc = 0, raft = 0;
    raft::testing::Process process;
  };
  raft::testing::TempDir dir_;
  std::vector<Node> nodes_;
  std::vector<std::string> extra_args_;
  std::function<bool(const std::string&)> ready_;
};

}  // namespace ckron::testing

#endif  // CKRON_TESTS_API_API_HARNESS_H_
