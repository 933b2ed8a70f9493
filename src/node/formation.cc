#include "node/formation.h"

#include <algorithm>

#include "common/log.h"

namespace ckron::node {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("raft");
}

std::string Names(const std::vector<ServerMember>& servers) {
  std::string out;
  for (const ServerMember& s : servers) {
    if (!out.empty()) out += ", ";
    out += s.name + " (" + s.raft_addr + ")";
  }
  return out;
}

}  // namespace

BootstrapDecision PlanBootstrap(const std::string& region, int expect,
                                const std::vector<ServerMember>& servers) {
  BootstrapDecision d;
  for (const ServerMember& s : servers) {
    if (!s.alive() || s.region != region) continue;
    // Dkron: a different expect value, or a server bootstrapped alone,
    // means these servers were not meant to form one cluster together.
    if (s.expect != 0 && s.expect != expect) {
      return {BootstrapDecision::Kind::kConflict,
              "server " + s.name + " expects " + std::to_string(s.expect) + " servers, this one " +
                  std::to_string(expect) + "; not bootstrapping until they agree",
              {}};
    }
    if (s.bootstrap) {
      return {
          BootstrapDecision::Kind::kConflict,
          "server " + s.name + " is in bootstrap mode (a cluster of its own); not bootstrapping",
          {}};
    }
    // Founding members expect the same N and have a Raft address; servers
    // started without bootstrap-expect are added later by the leader.
    if (s.expect != expect || s.raft_addr.empty()) continue;
    d.servers.push_back(s);
  }
  std::sort(d.servers.begin(), d.servers.end(),
            [](const ServerMember& a, const ServerMember& b) { return a.name < b.name; });
  if (static_cast<int>(d.servers.size()) < expect) {
    d.kind = BootstrapDecision::Kind::kWait;
    d.reason = "waiting for " + std::to_string(expect) + " servers of region " + region +
               " to bootstrap the cluster (have " + std::to_string(d.servers.size()) + ")";
    d.servers.clear();
    return d;
  }
  d.kind = BootstrapDecision::Kind::kProbe;
  return d;
}

namespace {

// The same servers (ids and addresses), in any order.
bool SameServers(std::vector<raft::Server> a, std::vector<raft::Server> b) {
  const auto by_id = [](const raft::Server& x, const raft::Server& y) { return x.id < y.id; };
  std::sort(a.begin(), a.end(), by_id);
  std::sort(b.begin(), b.end(), by_id);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].address != b[i].address) return false;
  }
  return true;
}

}  // namespace

ClusterFormation::ClusterFormation(FormationOptions options, raft::Node* raft,
                                   const membership::Membership* members, PeerProbe probe)
    : options_(std::move(options)), raft_(raft), members_(members), probe_(std::move(probe)) {}

ClusterFormation::~ClusterFormation() {
  Stop();
}

void ClusterFormation::Start() {
  thread_ = std::thread([this] { RunLoop(); });
}

void ClusterFormation::Notify() {
  std::lock_guard lock(mu_);
  notified_ = true;
  cv_.notify_all();
}

void ClusterFormation::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool ClusterFormation::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

bool ClusterFormation::Wait(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stop_ || notified_; });
  notified_ = false;
  return !stop_;
}

void ClusterFormation::RunLoop() {
  std::string last_log;
  while (!Step(&last_log)) {
    if (!Wait(options_.recheck)) return;
  }
  std::lock_guard lock(mu_);
  done_ = true;
}

bool ClusterFormation::Step(std::string* last_log) {
  // Log a waiting reason once, not on every check.
  auto note = [&](const std::string& msg, bool error) {
    if (msg == *last_log) return;
    *last_log = msg;
    error ? Log()->error("raft: {}", msg) : Log()->info("raft: {}", msg);
  };
  if (!raft_->Configuration().empty()) {
    Log()->info("raft: this server is a member of the Raft configuration; formation done");
    return true;
  }
  if (options_.bootstrap || options_.expect <= 1) {
    Log()->info("raft: bootstrapping a single-server cluster ({})",
                options_.bootstrap ? "bootstrap: true" : "bootstrap-expect 1");
    if (Status st = raft_->Bootstrap({{raft_->id(), options_.raft_address}}); !st.ok()) {
      note("bootstrap failed; will retry: " + st.ToString(), true);
      return false;
    }
    return true;
  }
  const BootstrapDecision d =
      PlanBootstrap(options_.region, options_.expect, ServerMembers(members_->Members()));
  if (d.kind != BootstrapDecision::Kind::kProbe) {
    note(d.reason, d.kind == BootstrapDecision::Kind::kConflict);
    return false;
  }
  std::vector<raft::Server> founders;
  for (const ServerMember& s : d.servers) founders.push_back({s.raft_id, s.raft_addr});
  // Dkron: if any server already has Raft peers, the cluster exists.
  for (const ServerMember& s : d.servers) {
    if (s.name == options_.node_name) continue;
    auto peers = probe_(s.rpc_addr, options_.probe_timeout);
    if (!peers.ok()) {
      note("cannot ask " + s.name + " at " + s.rpc_addr +
               " for its Raft peers; will retry: " + peers.status().message(),
           false);
      return false;
    }
    if (peers->empty()) continue;
    if (SameServers(*peers, founders)) {
      // It bootstrapped first with the set this server sees: do the same,
      // or it can never gather a majority (see formation.h).
      Log()->info("raft: server {} bootstrapped with the same {} servers; bootstrapping alike",
                  s.name, founders.size());
      break;
    }
    Log()->info(
        "raft: server {} already has {} Raft peer(s): the cluster exists, so this server "
        "does not bootstrap; the leader will add it",
        s.name, peers->size());
    return true;
  }
  if (!raft_->Configuration().empty()) return true;  // added meanwhile
  Log()->info("raft: bootstrapping the cluster with {} servers: {}", founders.size(),
              Names(d.servers));
  if (Status st = raft_->Bootstrap(founders); !st.ok()) {
    note("bootstrap failed; will retry: " + st.ToString(), true);
    return false;
  }
  return true;
}

}  // namespace ckron::node
