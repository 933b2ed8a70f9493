#include "node/agent.h"

#include <signal.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agent/reporter.h"
#include "agent/run_service.h"
#include "agent/run_table.h"
#include "api/api.h"
#include "api/http_server.h"
#include "common/log.h"
#include "config/diff.h"
#include "config/sockaddr_template.h"
#include "executor/builtins.h"
#include "executor/registry.h"
#include "executor/runner.h"
#include "membership/membership.h"
#include "node/cluster_metrics.h"
#include "node/gossip_options.h"
#include "node/joiner.h"
#include "node/member_events.h"
#include "node/server_node.h"
#include "node/signals.h"
#include "node/telemetry.h"
#include "node/version.h"
#include "rpc/agent_service.h"
#include "rpc/executions_client.h"
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

// A positive integer from the environment (test hooks), else 0.
std::uint32_t EnvCount(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return 0;
  char* end = nullptr;
  const unsigned long n = std::strtoul(v, &end, 10);
  return end != v && *end == '\0' && n <= 0xffffffffUL ? static_cast<std::uint32_t>(n) : 0;
}

// CKRON_TEST_START_RECORD_DELAY_MS (docs/operations.md, test hooks): the
// server's start_record_delay, so a test can hold a run unrecorded.
std::chrono::milliseconds StartRecordDelay() {
  const char* v = std::getenv("CKRON_TEST_START_RECORD_DELAY_MS");
  char* end = nullptr;
  const unsigned long n = v == nullptr ? 0 : std::strtoul(v, &end, 10);
  if (v == nullptr || end == v || *end != '\0') return ServerNodeOptions{}.start_record_delay;
  return std::chrono::milliseconds(n);
}

std::chrono::milliseconds Millis(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

// How long a graceful shutdown waits for the servers to acknowledge the
// results of the executions that ran here.
constexpr absl::Duration kReportFlushTimeout = absl::Seconds(30);

std::vector<rpc::MemberView> MemberViews(const membership::Membership& members) {
  std::vector<rpc::MemberView> out;
  for (const membership::MemberInfo& m : members.Members()) {
    out.push_back({m.name, m.addr, m.port, membership::MemberStateName(m.status), m.tags});
  }
  return out;
}

// The cors-origins key: comma-separated, blanks ignored.
std::vector<std::string> CorsOrigins(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    const absl::string_view o = absl::StripAsciiWhitespace(part);
    if (!o.empty()) out.emplace_back(o);
  }
  return out;
}

// Scheduled instant (a run's group, semantics §4.1) -> start here, for
// first attempts (a retry's delay is not lag).
std::function<void(const agent::RunSpec&, absl::Time)> TriggerLag(metrics::Timer lag) {
  return [lag](const agent::RunSpec& spec, absl::Time started_at) {
    if (spec.attempt == 1) lag.Observe(started_at - absl::FromUnixNanos(spec.group));
  };
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
  CKRON_ASSIGN_OR_RETURN(std::unique_ptr<Telemetry> telemetry, Telemetry::Start(c));

  std::unique_ptr<Agent> agent(new Agent(std::move(options), std::move(addresses)));
  agent->telemetry_ = std::move(telemetry);
  agent->cluster_metrics_ = std::make_unique<ClusterMetrics>(
      &agent->telemetry_->metrics(),
      ClusterMetricsOptions{.job_series_limit =
                                static_cast<std::size_t>(c.metrics_job_series_limit)});
  Agent* self = agent.get();
  const config::AgentConfig& running = agent->config_;
  const ResolvedAddresses& a = agent->addresses_;

  // 4. gossip (bound, not joined: peers learn of us once the RPC edge and,
  // on servers, Raft are up).
  CKRON_ASSIGN_OR_RETURN(membership::MembershipOptions gossip, BuildMembershipOptions(running, a));
  CKRON_ASSIGN_OR_RETURN(agent->membership_, membership::Membership::Start(std::move(gossip)));
  log->info("agent: gossip on {} (advertised {}, profile {}, encryption {})",
            agent->membership_->bound_addr(), a.advertise(), running.profile,
            running.encrypt.empty() ? "off" : "on");

  // The executors this agent runs; servers also check job writes against
  // them (admission/).
  agent->executors_ = std::make_unique<executor::ExecutorRegistry>();
  CKRON_RETURN_IF_ERROR(executor::RegisterBuiltins(*agent->executors_));

  // 5. server parts.
  std::vector<grpc::Service*> services;
  if (running.server) {
    CKRON_ASSIGN_OR_RETURN(
        agent->server_,
        ServerNode::Open({.node_name = running.node_name,
                          .region = running.region,
                          .data_dir = running.data_dir,
                          .raft_address = RaftAdvertiseAddress(running, a),
                          .raft_bind = a.raft_listen,
                          .raft_multiplier = running.raft_multiplier,
                          .bootstrap_expect = running.bootstrap_expect,
                          .bootstrap = running.bootstrap,
                          .reconcile_interval = Millis(running.reconcile_interval),
                          .start_record_delay = StartRecordDelay(),
                          .executors = agent->executors_.get(),
                          .snapshot_threshold = EnvCount("CKRON_TEST_RAFT_SNAPSHOT_THRESHOLD"),
                          .snapshot_trailing = EnvCount("CKRON_TEST_RAFT_SNAPSHOT_TRAILING"),
                          .leave = [self] { self->RequestShutdown("leave requested over HTTP"); },
                          .state_sinks = {agent->cluster_metrics_.get()},
                          .metrics = agent->cluster_metrics_.get()},
                         agent->membership_.get()));
    services = agent->server_->services();
  }

  // 6. running jobs, on every agent.
  membership::Membership* members = agent->membership_.get();
  agent->runner_ = std::make_unique<executor::Runner>(
      agent->executors_.get(), executor::RunnerOptions{.shutdown_grace = running.shutdown_grace});
  agent->executions_client_ = std::make_unique<rpc::ExecutionsClient>();
  agent->reporter_ = std::make_unique<agent::Reporter>(
      agent->executions_client_.get(), agent::GossipServers(members),
      [self] {
        std::vector<rpc::LeaseRef> leases;
        for (const agent::RunningInfo& r : self->runs_->Running()) {
          leases.push_back({.job_name = r.job_name, .execution_id = r.execution_id});
        }
        return leases;
      },
      agent::ReporterOptions{.node_name = running.node_name});
  agent->runs_ = std::make_unique<agent::RunTable>(
      agent->runner_.get(), agent->reporter_.get(),
      agent::RunTableOptions{.node_name = running.node_name,
                             .on_start = TriggerLag(agent->telemetry_->metrics().trigger_lag)});
  agent->run_service_ = std::make_unique<agent::RunService>(
      agent->runs_.get(), agent::RunServiceOptions{.node_name = running.node_name});
  services.push_back(agent->run_service_.get());

  // 7. gRPC server.
  agent->agent_service_ = std::make_unique<rpc::AgentService>(
      [self] { self->RequestShutdown("leave requested over RPC"); },
      [members] { return MemberViews(*members); });
  services.push_back(agent->agent_service_.get());
  CKRON_ASSIGN_OR_RETURN(agent->rpc_server_,
                         rpc::RpcServer::Start({.address = a.rpc_listen}, services));

  // 7b. HTTP API (servers).
  if (agent->server_) {
    agent->api_ = std::make_unique<api::Api>(
        api::ApiOptions{
            .cors_origins = CorsOrigins(running.cors_origins),
            .middleware = agent->telemetry_->ApiMiddleware(),
            .middleware_may_block = agent->telemetry_->auth_enabled(),  // its key derivation
            .metrics_text = [m = &agent->telemetry_->metrics()] { return m->RenderText(); },
            .events = &agent->server_->events()},
        &agent->server_->api_backend());
    api::Api* api = agent->api_.get();
    CKRON_ASSIGN_OR_RETURN(agent->http_server_,
                           api::HttpServer::Start(
                               {.address = a.http_listen,
                                .tls_cert_file = running.https_cert_file,
                                .tls_key_file = running.https_key_file,
                                .tls_client_ca_file = running.https_client_ca_file},
                               [api](api::Request& r) { return api->Handle(r); },
                               [api](api::Request& r) { return api->RunsInline(r); }));
  }

  // 8-9. cluster work and the member events that drive it.
  std::vector<MemberEventPump::Handler> handlers;
  if (agent->server_) {
    agent->server_->AddLeadershipObserver(agent->cluster_metrics_.get());
    agent->server_->StartClusterWork();
    ServerNode* server = agent->server_.get();
    handlers.push_back([server](const membership::MemberEvent& e) { server->OnMemberEvent(e); });
  }
  ClusterMetrics* cm = agent->cluster_metrics_.get();
  handlers.push_back([cm, members](const membership::MemberEvent& e) {
    cm->OnMemberEvent(e, members->Members());
  });
  agent->member_events_ = std::make_unique<MemberEventPump>(members, std::move(handlers));

  // 10. join, then deliver results through the pool.
  agent->joiner_ = std::make_unique<Joiner>(
      JoinOptions{.join = running.join,
                  .retry_join = running.retry_join,
                  .retry_max = running.retry_max,
                  .retry_interval = Millis(running.retry_interval)},
      members, [self](const std::string& reason) { self->RequestShutdown(reason, 1); });
  agent->joiner_->Start();
  agent->reporter_->Start();

  // 11. signals.
  agent->signal_thread_ = std::make_unique<SignalThread>([self](int s) { self->OnSignal(s); });

  log->info(
      "agent: started {} {} (node {}, server {}, data-dir {}, bind {}, advertise {}, rpc {}, "
      "advertise-rpc {}{})",
      kName, Version(), running.node_name, running.server, running.data_dir, a.bind(),
      a.advertise(), agent->rpc_server_->address(), a.rpc_advertise,
      running.server
          ? ", raft " + a.raft_listen + ", http" + (running.https_cert_file.empty() ? " " : "s ") +
                agent->http_server_->address()
          : "");
  return agent;
}

Agent::Agent(AgentOptions options, ResolvedAddresses addresses)
    : reload_(std::move(options.reload)),
      addresses_(std::move(addresses)),
      config_(std::move(options.config.config)) {}

// Members are destroyed in reverse order of construction. After Run() they
// are all stopped already; after a failed Start() the destructors stop them.
Agent::~Agent() {
  if (http_server_) http_server_->Stop();
  if (joiner_) joiner_->Stop();
  if (member_events_) member_events_->Stop();
  if (server_) server_->Stop();
  if (rpc_server_) rpc_server_->Shutdown();
}

config::AgentConfig Agent::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

void Agent::RequestShutdown(std::string_view reason, int exit_code) {
  std::lock_guard lock(mu_);
  if (shutdown_requested_) return;
  shutdown_requested_ = true;
  shutdown_reason_ = std::string(reason);
  exit_code_ = exit_code;
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
  const int exit_code = exit_code_;
  lock.unlock();

  log->info("agent: shutting down gracefully ({})", reason);
  Shutdown();
  // The signal thread stays up until the end so that a second SIGINT or
  // SIGTERM still forces an exit.
  signal_thread_.reset();
  log->info("agent: shutdown complete");
  return exit_code;
}

void Agent::Shutdown() {
  auto log = Log();
  joiner_->Stop();
  // Dkron waits up to 3 h for local executions (dkron-spec §4.5); their
  // results go out before this node leaves, while it still knows the servers.
  if (Status s = runs_->Shutdown(); !s.ok()) {
    log->error("agent: executions still running at shutdown: {}", s.ToString());
  }
  if (Status s = reporter_->Flush(kReportFlushTimeout); !s.ok()) {
    log->error("agent: {}", s.ToString());
  } else if (const std::uint64_t n = reporter_->stats().acknowledged; n > 0) {
    log->info("agent: the servers acknowledged all {} execution result(s) of this run", n);
  }
  // The API answers until here (a POST /v1/leave has had its answer).
  if (http_server_) {
    http_server_->Stop();
    log->info("agent: HTTP API stopped");
  }
  if (server_) server_->PrepareToLeave();
  // Leave before stopping anything else: peers see `left` (not `failed`),
  // and the leader removes a departed server from Raft.
  if (Status s = membership_->Leave(std::chrono::seconds(5)); s.ok()) {
    log->info("agent: left the gossip pool");
  } else {
    log->warn("agent: leaving the gossip pool: {}", s.ToString());
  }
  member_events_->Stop();
  if (server_) server_->Stop();
  rpc_server_->Shutdown();
  log->info("agent: gRPC server stopped");
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
  if (applied.tags != running.tags) {
    auto tags = AgentTags(applied, addresses_);
    Status s = tags.ok() ? membership_->UpdateTags(*tags) : tags.status();
    if (!s.ok()) {
      log->error("agent: reload: cannot publish the new tags; keeping the old ones: {}",
                 s.message());
      return;
    }
    log->info("agent: reload: new tags published to the gossip pool");
  }
  {
    std::lock_guard lock(mu_);
    config_ = applied;
  }
  log->info("agent: reload complete");
}

}  // namespace ckron::node
