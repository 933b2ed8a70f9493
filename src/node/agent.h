// The composition root: an Agent is the running `ckron agent` process built
// from its configuration. Start() constructs the components in dependency
// order and Run() tears them down in reverse:
//
//   1. logging        node name on every line, log-level, log-format
//  1b. telemetry      the metrics registry, statsd/DogStatsD sinks, API auth
//                     (node/telemetry.h)
//   2. addresses      templates expanded, names resolved (node/addresses.h)
//   3. data dir       created if missing
//   4. gossip         membership on the bind address with Dkron's tags
//                     (node/gossip_options.h); not joined yet
//   5. server parts   servers only (node/server_node.h): execution store,
//                     replicated state, Raft, the RaftAdmin and Cluster
//                     services
//   6. running jobs   every agent: the built-in executors (shell, http), the
//                     runner, the table of local executions, the reporter
//                     (not started yet) and the AgentRunner service
//                     (agent/run_service.h, agent/reporter.h)
//   7. gRPC server    on bind IP : rpc-port: Agent (Leave, Members),
//                     AgentRunner, and the server's services
//  7b. HTTP API       servers: Dkron's /v1 REST API on http-addr (api/)
//   8. cluster work   servers: leader loop, and cluster formation until this
//                     server is in a Raft configuration
//   9. member events  one thread feeding gossip events to the leader loop
//                     and formation (node/member_events.h)
//  10. join           --join once, --retry-join in the background
//                     (node/joiner.h); then the reporter starts delivering
//                     results and renewing leases
//  11. signal thread  SIGINT/SIGTERM -> graceful shutdown (a second one exits
//                     at once with status 1), SIGHUP -> reload
//
// Graceful shutdown (SIGINT, SIGTERM, `ckron leave`, retry-join giving up):
// the agent refuses new runs and waits for its running executions (up to
// 3 h as Dkron, then they are cancelled), flushes their results to the
// servers (up to 30 s), then a leading server hands leadership over, the
// agent leaves the gossip pool (peers see it `left`; the leader then
// removes a server from Raft), and it stops the leader loop, Raft, the gRPC
// server and gossip.
//
// Reload (SIGHUP) re-reads the configuration file and environment (flags
// stay as given) and applies the reloadable keys — tags (published to gossip
// at once), notification settings, log-level — logging each change; other
// changed keys are logged as needing a restart. An invalid configuration is logged as an error and
// the running one is kept.
//
// Thread safety: Start() and Run() on the main thread; RequestShutdown()
// and config() from any thread. This class behaves like a monitor: mu_
// guards the running configuration and the pending requests.
#ifndef CKRON_NODE_AGENT_H_
#define CKRON_NODE_AGENT_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/loader.h"
#include "node/addresses.h"

namespace ckron::agent {
class Reporter;
class RunService;
class RunTable;
}  // namespace ckron::agent
namespace ckron::api {
class Api;
class HttpServer;
}  // namespace ckron::api
namespace ckron::executor {
class ExecutorRegistry;
class Runner;
}  // namespace ckron::executor
namespace ckron::membership {
class Membership;
}  // namespace ckron::membership
namespace ckron::rpc {
class AgentService;
class ExecutionsClient;
class RpcServer;
}  // namespace ckron::rpc

namespace ckron::node {

class Joiner;
class MemberEventPump;
class ServerNode;
class SignalThread;
class ClusterMetrics;
class Telemetry;

// Re-reads the configuration for a reload (the CLI binds its flags in).
using ConfigLoader = std::function<Result<config::LoadedConfig>()>;

struct AgentOptions {
  config::LoadedConfig config;
  // Called on SIGHUP. Empty: SIGHUP only logs that reloading is unavailable.
  ConfigLoader reload;
};

class Agent {
 public:
  // Builds and starts the components listed above.
  // REQUIRES: BlockShutdownSignals() ran in main() before any thread started.
  // Errors (the process should exit 1; messages say what failed):
  //   kNotFound         an address template found nothing, a host did not resolve
  //   kUnavailable      the data dir cannot be created; the gossip, gRPC, Raft
  //                     or HTTP port cannot be bound; the execution store cannot be opened
  //   kInvalidArgument  an address Raft cannot use (it needs IPv4), bad tags
  static Result<std::unique_ptr<Agent>> Start(AgentOptions options);

  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;
  ~Agent();

  // Blocks until a shutdown is requested (signal or Leave RPC), performing
  // reloads meanwhile, then stops every component and returns the process's
  // exit status (0, or 1 when retry-join gave up). Logs "agent: shutdown
  // complete" last.
  int Run();

  // Asks Run() to shut down gracefully with `exit_code`. Safe from any
  // thread, never blocks. The first request wins.
  void RequestShutdown(std::string_view reason, int exit_code = 0);

  // The running configuration (with reloaded keys as last applied).
  config::AgentConfig config() const;
  const ResolvedAddresses& addresses() const { return addresses_; }

 private:
  Agent(AgentOptions options, ResolvedAddresses addresses);

  void OnSignal(int signo);  // on the signal thread
  void Reload();             // on the main thread
  void Shutdown();           // on the main thread, from Run()

  const ConfigLoader reload_;
  const ResolvedAddresses addresses_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  config::AgentConfig config_;       // guarded by mu_
  bool shutdown_requested_ = false;  // guarded by mu_
  std::string shutdown_reason_;      // guarded by mu_
  int exit_code_ = 0;                // guarded by mu_
  int reloads_pending_ = 0;          // guarded by mu_

  // Components, in construction order (stopped in reverse by Run(),
  // destroyed in reverse by the destructor).
  std::unique_ptr<Telemetry> telemetry_;             // metrics and API auth; outlives all users
  std::unique_ptr<ClusterMetrics> cluster_metrics_;  // a sink of server_'s state
  std::unique_ptr<membership::Membership> membership_;
  std::unique_ptr<executor::ExecutorRegistry> executors_;
  std::unique_ptr<ServerNode> server_;  // servers only
  std::unique_ptr<executor::Runner> runner_;
  std::unique_ptr<rpc::ExecutionsClient> executions_client_;
  std::unique_ptr<agent::Reporter> reporter_;  // the sink of runs_
  std::unique_ptr<agent::RunTable> runs_;
  std::unique_ptr<agent::RunService> run_service_;
  std::unique_ptr<rpc::AgentService> agent_service_;
  std::unique_ptr<rpc::RpcServer> rpc_server_;
  std::unique_ptr<api::Api> api_;                 // servers only
  std::unique_ptr<api::HttpServer> http_server_;  // servers only
  std::unique_ptr<MemberEventPump> member_events_;
  std::unique_ptr<Joiner> joiner_;
  std::unique_ptr<SignalThread> signal_thread_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_AGENT_H_
