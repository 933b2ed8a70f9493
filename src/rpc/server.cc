#include "rpc/server.h"

#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace ckron::rpc {
namespace {

// Why `address` cannot be bound, found by trying a plain bind(2); gRPC only
// says that it failed.
std::string BindFailureReason(const std::string& address) {
  std::string host = address, port;
  if (const auto colon = address.rfind(':'); colon != std::string::npos) {
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return gai_strerror(rc);
  std::string reason = "unknown error";
  const int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd >= 0) {
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    reason = bind(fd, res->ai_addr, res->ai_addrlen) == 0 ? "gRPC could not listen there"
                                                          : std::strerror(errno);
    close(fd);
  }
  freeaddrinfo(res);
  return reason;
}

void ForwardGrpcLog(gpr_log_func_args* args) {
  static const auto logger = logging::Get("grpc");
  spdlog::level::level_enum level = spdlog::level::info;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = spdlog::level::debug;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = spdlog::level::err;
  logger->log(level, "{} ({}:{})", args->message, args->file, args->line);
}

}  // namespace

Result<std::unique_ptr<RpcServer>> RpcServer::Start(const RpcServerOptions& options,
                                                    const std::vector<grpc::Service*>& services) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  for (grpc::Service* s : services) builder.RegisterService(s);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    if (server) server->Shutdown();
    return Status::Unavailable("cannot listen on " + options.address + ": " +
                               BindFailureReason(options.address));
  }
  std::string address =
      options.address.substr(0, options.address.rfind(':') + 1) + std::to_string(port);
  return std::unique_ptr<RpcServer>(
      new RpcServer(std::move(server), port, std::move(address), options.shutdown_grace));
}

RpcServer::RpcServer(std::unique_ptr<grpc::Server> server, int port, std::string address,
                     absl::Duration grace)
    : server_(std::move(server)), port_(port), address_(std::move(address)), grace_(grace) {}

RpcServer::~RpcServer() {
  Shutdown();
}

void RpcServer::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace_));
  server_->Wait();
}

void RouteGrpcLogsToLogging() {
  gpr_set_log_function(ForwardGrpcLog);
}

}  // namespace ckron::rpc
