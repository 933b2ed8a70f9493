#include "node/agent.h"

#include <signal.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_replace.h"
#include "common/log.h"
#include "config/diff.h"
#include "config/sockaddr_template.h"
#include "node/signals.h"
#include "node/version.h"
#include "rpc/agent_service.h"
#include "rpc/server.h"

namespace ckron::node {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("agent");
}

std::string OneLine(std::string_view s) {
  return absl::StrReplaceAll(std::string(s), {{"\n", "; "}});
}

const char* SignalName(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "signal";
}

Status CreateDataDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create data-dir \"" + dir + "\": " + ec.message());
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::Unavailable("data-dir \"" + dir + "\" is not a directory");
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<Agent>> Agent::Start(AgentOptions options) {
  const config::AgentConfig& c = options.config.config;

  // 1. logging. The loader validated both names.
  logging::Configure({.node_name = c.node_name,
                      .level = logging::ParseLevel(c.log_level).value(),
                      .format = logging::ParseFormat(c.log_format).value()});
  rpc::RouteGrpcLogsToLogging();
  auto log = Log();
  if (options.config.file.empty()) {
    log->info("agent: no configuration file found; using flags, environment and defaults");
  } else {
    log->info("agent: configuration file {}", options.config.file);
  }
  for (const std::string& w : options.config.warnings) log->warn("agent: {}", w);

  // 2. addresses.
  CKRON_ASSIGN_OR_RETURN(auto interfaces, config::ListInterfaceAddresses());
  CKRON_ASSIGN_OR_RETURN(ResolvedAddresses addresses, ResolveAddresses(c, interfaces));
  if (addresses.advertise_is_loopback) {
    log->warn(
        "agent: advertising the loopback address {}; members on other hosts cannot reach "
        "this node (fine on a single host)",
        addresses.advertise());
  }

  // 3. data dir.
  CKRON_RETURN_IF_ERROR(CreateDataDir(c.data_dir));

  std::unique_ptr<Agent> agent(new Agent(std::move(options), std::move(addresses)));
  Agent* self = agent.get();

  // 4. gRPC server.
  agent->agent_service_ = std::make_unique<rpc::AgentService>(
      [self] { self->RequestShutdown("leave requested over RPC"); });
  CKRON_ASSIGN_OR_RETURN(agent->rpc_server_,
                         rpc::RpcServer::Start({.address = agent->addresses_.rpc_listen},
                                               {agent->agent_service_.get()}));

  // 5. signals.
  agent->signal_thread_ = std::make_unique<SignalThread>([self](int s) { self->OnSignal(s); });

  // `c` was moved into the agent; log from its copy.
  const config::AgentConfig& running = agent->config_;
  const ResolvedAddresses& a = agent->addresses_;
  log->info(
      "agent: started {} {} (node {}, server {}, data-dir {}, bind {}, advertise {}, rpc {}, "
      "advertise-rpc {}{})",
      kName, Version(), running.node_name, running.server, running.data_dir, a.bind(),
      a.advertise(), agent->rpc_server_->address(), a.rpc_advertise,
      running.server ? ", raft " + a.raft_listen + ", http " + a.http_listen : "");
  return agent;
}

Agent::Agent(AgentOptions options, ResolvedAddresses addresses)
    : reload_(std::move(options.reload)),
      addresses_(std::move(addresses)),
      config_(std::move(options.config.config)) {}

// Members are destroyed in reverse order of construction: the signal thread,
// then the gRPC server, then the service it served.
Agent::~Agent() = default;

config::AgentConfig Agent::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

void Agent::RequestShutdown(std::string_view reason) {
  std::lock_guard lock(mu_);
  if (shutdown_requested_) return;
  shutdown_requested_ = true;
  shutdown_reason_ = std::string(reason);
  cv_.notify_all();
}

void Agent::OnSignal(int signo) {
  if (signo == SIGHUP) {
    Log()->info("agent: caught SIGHUP; reloading the configuration");
    std::lock_guard lock(mu_);
    ++reloads_pending_;
    cv_.notify_all();
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (shutdown_requested_) {
      Log()->warn("agent: caught {} again while shutting down; exiting now", SignalName(signo));
      Log()->flush();
      std::_Exit(1);
    }
  }
  RequestShutdown(std::string("caught ") + SignalName(signo));
}

int Agent::Run() {
  auto log = Log();
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return shutdown_requested_ || reloads_pending_ > 0; });
    if (shutdown_requested_) break;
    reloads_pending_ = 0;
    lock.unlock();
    Reload();
    lock.lock();
  }
  const std::string reason = shutdown_reason_;
  lock.unlock();

  log->info("agent: shutting down gracefully ({})", reason);
  // Reverse construction order. The signal thread stays up until the end so
  // that a second SIGINT/SIGTERM still forces an exit.
  rpc_server_->Shutdown();
  log->info("agent: gRPC server stopped");
  signal_thread_.reset();
  log->info("agent: shutdown complete");
  return 0;
}

void Agent::Reload() {
  auto log = Log();
  if (!reload_) {
    log->warn("agent: reload is not available in this process");
    return;
  }
  auto next = reload_();
  if (!next.ok()) {
    log->error("agent: reload failed; keeping the running configuration: {}",
               OneLine(next.status().message()));
    return;
  }
  for (const std::string& w : next->warnings) log->warn("agent: {}", w);
  const config::AgentConfig running = config();
  const auto changes = config::DiffConfigs(running, next->config);
  if (changes.empty()) {
    log->info("agent: reload: no changes");
    return;
  }
  for (const config::ConfigChange& change : changes) {
    if (change.key->reloadable) {
      log->info("agent: reload: {} changed from \"{}\" to \"{}\"", change.key->name, change.before,
                change.after);
    } else {
      log->warn(
          "agent: reload: {} changed to \"{}\" but takes effect only after a restart "
          "(still \"{}\")",
          change.key->name, change.after, change.before);
    }
  }
  const config::AgentConfig applied = config::ApplyReloadable(running, next->config);
  if (applied.log_level != running.log_level) {
    logging::SetLevel(logging::ParseLevel(applied.log_level).value());
  }
  {
    std::lock_guard lock(mu_);
    config_ = applied;
  }
  log->info("agent: reload complete");
}

}  // namespace ckron::node
