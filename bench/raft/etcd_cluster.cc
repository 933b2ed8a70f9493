#include "bench/raft/etcd_cluster.h"

#include "bench/raft/load.h"
#include "nlohmann/json.hpp"
#include "raft/testing/test_env.h"

namespace ckron::bench {

using namespace std::chrono_literals;

EtcdCluster::EtcdCluster(std::string etcd, std::filesystem::path root)
    : etcd_(std::move(etcd)), root_(std::move(root)) {}

EtcdCluster::~EtcdCluster() {
  for (Member& m : members_) m.process.Kill();
}

Status EtcdCluster::Spawn(int i) {
  Member& m = members_[static_cast<std::size_t>(i)];
  std::string initial;
  for (const Member& o : members_) {
    if (!initial.empty()) initial += ",";
    initial += o.name + "=http://127.0.0.1:" + std::to_string(o.peer);
  }
  const std::string client = "http://127.0.0.1:" + std::to_string(m.client);
  const std::string peer = "http://127.0.0.1:" + std::to_string(m.peer);
  std::vector<std::string> argv = {etcd_,
                                   "--name",
                                   m.name,
                                   "--data-dir",
                                   (root_ / m.name).string(),
                                   "--listen-client-urls",
                                   client,
                                   "--advertise-client-urls",
                                   client,
                                   "--listen-peer-urls",
                                   peer,
                                   "--initial-advertise-peer-urls",
                                   peer,
                                   "--initial-cluster",
                                   initial,
                                   "--initial-cluster-token",
                                   "ckron-bench",
                                   "--initial-cluster-state",
                                   "new",
                                   "--logger",
                                   "zap",
                                   "--log-outputs",
                                   "stderr",
                                   "--log-level",
                                   "warn"};
  CKRON_ASSIGN_OR_RETURN(m.process, raft::testing::Process::Spawn(argv, root_ / (m.name + ".log")));
  return OkStatus();
}

Status EtcdCluster::Start(int n, std::chrono::milliseconds timeout) {
  for (int i = 0; i < n; ++i) {
    Member m;
    m.name = "e" + std::to_string(i);
    m.client = raft::testing::FreeTcpPort();
    m.peer = raft::testing::FreeTcpPort();
    members_.push_back(std::move(m));
  }
  for (int i = 0; i < n; ++i) CKRON_RETURN_IF_ERROR(Spawn(i));
  const bool ok = raft::testing::WaitFor(
      [&] {
        for (int i = 0; i < n; ++i) {
          if (!Healthy(i)) return false;
        }
        return Leader() >= 0;
      },
      timeout, 50ms);
  if (!ok) return Status::Timeout("etcd cluster not healthy: " + Logs(0));
  return OkStatus();
}

Status EtcdCluster::Restart(int i, std::chrono::milliseconds timeout) {
  CKRON_RETURN_IF_ERROR(Spawn(i));
  if (!raft::testing::WaitFor([&] { return Healthy(i); }, timeout, 20ms)) {
    return Status::Timeout("etcd member did not become healthy: " + Logs(i));
  }
  return OkStatus();
}

void EtcdCluster::Kill(int i) {
  members_[static_cast<std::size_t>(i)].process.Kill();
}

bool EtcdCluster::Healthy(int i) {
  std::string body;
  auto code = HttpGet(client_port(i), "/health", &body, 1s);
  return code.ok() && *code == 200 && body.find("\"true\"") != std::string::npos;
}

int EtcdCluster::Leader() {
  for (int i = 0; i < size(); ++i) {
    if (!Running(i)) continue;
    std::string body;
    auto code = HttpPost(client_port(i), "/v3/maintenance/status", "{}", &body, 1s);
    if (!code.ok() || *code != 200) continue;
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.contains("leader") || !j.contains("header")) continue;
    if (j["leader"] == j["header"]["member_id"]) return i;
  }
  return -1;
}

std::string EtcdCluster::Logs(int i) const {
  return raft::testing::TailFile(root_ / (members_[static_cast<std::size_t>(i)].name + ".log"),
                                 2000);
}

}  // namespace ckron::bench
