// The gRPC edge: one grpc::Server on one address serving the services it is
// given. The agent's Agent service is registered today; later modules add
// theirs (RaftAdmin, AgentRun, ...) through the same Start() call.
//
// Thread safety: Start/Shutdown/destruction from one owner thread; port()
// and address() are safe from any thread. Services' handlers run on gRPC's
// threads.
#ifndef CKRON_RPC_SERVER_H_
#define CKRON_RPC_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace ckron::rpc {

struct RpcServerOptions {
  // "ip:port" or "[ipv6]:port" to listen on; port 0 picks a free port.
  // "0.0.0.0:port" listens on every interface.
  std::string address;
  // How long Shutdown() lets in-flight calls finish before cancelling them.
  // Longer: slow calls complete; shorter: a faster stop.
  absl::Duration shutdown_grace = absl::Seconds(5);
};

class RpcServer {
 public:
  // Starts serving. `services` are not owned and must outlive the server;
  // none may be registered with another server. SO_REUSEPORT is off, so a
  // second agent on the same port fails here instead of sharing it.
  // Errors: kUnavailable "cannot listen on ADDR: <reason>".
  static Result<std::unique_ptr<RpcServer>> Start(const RpcServerOptions& options,
                                                  const std::vector<grpc::Service*>& services);

  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;
  // Calls Shutdown().
  ~RpcServer();

  // The port actually bound (useful when options.address had port 0).
  int port() const { return port_; }
  // options.address with the bound port.
  const std::string& address() const { return address_; }

  // Stops accepting calls, lets in-flight ones finish within the grace
  // period, cancels the rest and waits for gRPC's threads. Idempotent.
  void Shutdown();

 private:
  RpcServer(std::unique_ptr<grpc::Server> server, int port, std::string address,
            absl::Duration grace);

  std::unique_ptr<grpc::Server> server_;
  const int port_;
  const std::string address_;
  const absl::Duration grace_;
  bool stopped_ = false;
};

// Routes gRPC's own log lines (gpr_log) through common/log.h as module
// "grpc", so they carry the node name and the chosen format. Call once,
// after logging is configured and before any gRPC object exists.
void RouteGrpcLogsToLogging();

}  // namespace ckron::rpc

#endif  // CKRON_RPC_SERVER_H_
