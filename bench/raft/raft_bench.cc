// Raft benchmark: ckron's raft::Node (3 ckron_raft_driver processes) beside
// etcd 3.4 (3 members), both on 127.0.0.1 with data on the same disk, in one
// run. Prints one JSON object per figure on stdout:
//   {"bench":"raft","metric":"writes_64_clients","value":N,"unit":"writes/s",
//    "peer":"etcd 3.4","peer_value":M}
// Figures: closed-loop write throughput and p99 latency with 1 and with 64
// concurrent clients (small commands: ~16-byte key, 64-byte value; etcd is
// driven through its native gRPC API for the main figures, and through its
// HTTP/JSON gateway for the *_vs_etcd_http_gateway lines), and leader
// failover -- SIGKILL of the leader to the next acknowledged write -- p50/p99
// over --kills runs. Progress goes to stderr. Every process is killed by PID.
//
//   raft_bench --driver PATH [--etcd PATH|""] [--root DIR] [--measure-s 10]
//              [--warmup-s 2] [--kills 20] [--value-bytes 64]
//              [--driver-arg ARG]...   (e.g. --driver-arg --inflight --driver-arg 4)
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/raft/etcd_cluster.h"
#include "bench/raft/grpc_load.h"
#include "bench/raft/load.h"
#include "raft/testing/driver_cluster.h"
#include "raft/testing/line_client.h"
#include "raft/testing/test_env.h"

namespace ckron::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using raft::testing::DriverCluster;
using raft::testing::LineClient;

struct Config {
  std::string driver;
  std::string etcd;
  std::filesystem::path root;
  std::chrono::milliseconds warmup{2000};
  std::chrono::milliseconds measure{10000};
  int kills = 20;
  std::size_t value_bytes = 64;
  std::vector<std::string> driver_args;  // passed to every ckron_raft_driver
};

void Note(const std::string& s) {
  std::cerr << "raft_bench: " << s << std::endl;
}

std::string Num(std::optional<double> v) {
  if (!v) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", *v);
  return buf;
}

void Emit(const std::string& metric, double value, const std::string& unit,
          std::optional<double> peer) {
  std::printf(
      "{\"bench\":\"raft\",\"metric\":\"%s\",\"value\":%s,\"unit\":\"%s\","
      "\"peer\":\"etcd 3.4\",\"peer_value\":%s}\n",
      metric.c_str(), Num(value).c_str(), unit.c_str(), Num(peer).c_str());
  std::fflush(stdout);
}

struct Throughput {
  std::map<int, LoadResult> by_clients;
  std::map<int, LoadResult> by_clients_gateway;  // etcd only: HTTP/JSON gateway
};

// ----------------------------------------------------------------------------
// ckron

Result<Throughput> CkronThroughput(const Config& c, const std::vector<int>& clients) {
  raft::testing::ClusterOptions o;
  o.driver = c.driver;
  o.root = c.root / "ckron-load";
  o.extra_args = c.driver_args;
  std::filesystem::create_directories(o.root);
  DriverCluster cluster(o);
  CKRON_RETURN_IF_ERROR(cluster.StartCluster(3));
  Throughput t;
  for (int n : clients) {
    const int leader = cluster.WaitForLeader(30s);
    if (leader < 0) return Status::Unavailable("ckron: no leader\n" + cluster.Describe());
    auto proto = DriverProtocol(c.value_bytes);
    CKRON_ASSIGN_OR_RETURN(LoadResult r,
                           RunLoad(cluster.client_port(leader), *proto, n, c.warmup, c.measure));
    Note("ckron " + std::to_string(n) + " clients: " + Num(r.ops_per_s()) + " writes/s, p50 " +
         Num(r.percentile_ms(50)) + " ms, p99 " + Num(r.percentile_ms(99)) + " ms, errors " +
         std::to_string(r.errors));
    t.by_clients[n] = std::move(r);
  }
  return t;
}

// Time from SIGKILL of the leader to the next write acknowledged by the
// cluster, `kills` times; the killed node is restarted and caught up between
// runs.
Result<std::vector<double>> CkronFailover(const Config& c) {
  raft::testing::ClusterOptions o;
  o.driver = c.driver;
  o.root = c.root / "ckron-failover";
  o.extra_args = c.driver_args;
  std::filesystem::create_directories(o.root);
  DriverCluster cluster(o);
  CKRON_RETURN_IF_ERROR(cluster.StartCluster(3));
  std::vector<double> samples;
  for (int k = 0; k < c.kills; ++k) {
    for (int i = 0; i < 3; ++i) {
      if (!cluster.Running(i)) CKRON_RETURN_IF_ERROR(cluster.Start(i, {}));
    }
    CKRON_RETURN_IF_ERROR(cluster.Put("pre" + std::to_string(k), "v", 30s).status());
    const int leader = cluster.Leader();
    if (leader < 0) return Status::Unavailable("ckron: no leader\n" + cluster.Describe());
    // Every node has applied what the leader committed: a fair start.
    auto ls = cluster.NodeStatus(leader);
    if (!ls.ok()) return ls.status();
    raft::testing::WaitFor(
        [&] {
          for (int i = 0; i < 3; ++i) {
            auto s = cluster.NodeStatus(i);
            if (!s.ok() || s->last_applied < ls->commit_index) return false;
          }
          return true;
        },
        30s, 10ms);
    std::vector<int> others;
    std::map<int, LineClient> clients;
    for (int i = 0; i < 3; ++i) {
      if (i == leader) continue;
      others.push_back(i);
      CKRON_ASSIGN_OR_RETURN(clients[i], LineClient::Connect(cluster.client_port(i), 2s));
    }
    const Clock::time_point t0 = Clock::now();
    cluster.Kill(leader);
    std::optional<double> ms;
    for (std::size_t attempt = 0; Clock::now() - t0 < 30s; ++attempt) {
      const int target = others[attempt % others.size()];
      auto r = clients[target].Call("PUT fo" + std::to_string(k) + " v", 5s);
      if (r.ok() && r->rfind("OK", 0) == 0) {
        ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        break;
      }
      if (!clients[target].connected()) {
        auto nc = LineClient::Connect(cluster.client_port(target), 1s);
        if (nc.ok()) clients[target] = std::move(nc).value();
      }
      std::this_thread::sleep_for(1ms);
    }
    if (!ms)
      return Status::Timeout("ckron: no write within 30 s of a leader kill\n" + cluster.Describe());
    samples.push_back(*ms);
    Note("ckron failover " + std::to_string(k + 1) + "/" + std::to_string(c.kills) + ": " +
         Num(*ms) + " ms");
  }
  return samples;
}

// ----------------------------------------------------------------------------
// etcd

Result<Throughput> EtcdThroughput(const Config& c, const std::vector<int>& clients) {
  const auto root = c.root / "etcd-load";
  std::filesystem::create_directories(root);
  EtcdCluster etcd(c.etcd, root);
  CKRON_RETURN_IF_ERROR(etcd.Start(3));
  Throughput t;
  for (int n : clients) {
    int leader = -1;
    raft::testing::WaitFor([&] { return (leader = etcd.Leader()) >= 0; }, 30s, 20ms);
    if (leader < 0) return Status::Unavailable("etcd: no leader");
    // Native gRPC (how etcd's own clients write), then the HTTP/JSON gateway.
    CKRON_ASSIGN_OR_RETURN(LoadResult g, RunEtcdGrpcLoad(etcd.client_port(leader), n, c.value_bytes,
                                                         c.warmup, c.measure));
    Note("etcd gRPC " + std::to_string(n) + " clients: " + Num(g.ops_per_s()) + " writes/s, p50 " +
         Num(g.percentile_ms(50)) + " ms, p99 " + Num(g.percentile_ms(99)) + " ms, errors " +
         std::to_string(g.errors));
    t.by_clients[n] = std::move(g);
    auto proto = EtcdProtocol(etcd.client_port(leader), c.value_bytes);
    CKRON_ASSIGN_OR_RETURN(LoadResult r,
                           RunLoad(etcd.client_port(leader), *proto, n, c.warmup, c.measure));
    Note("etcd HTTP gateway " + std::to_string(n) + " clients: " + Num(r.ops_per_s()) +
         " writes/s, p50 " + Num(r.percentile_ms(50)) + " ms, p99 " + Num(r.percentile_ms(99)) +
         " ms, errors " + std::to_string(r.errors));
    t.by_clients_gateway[n] = std::move(r);
  }
  return t;
}

Result<std::vector<double>> EtcdFailover(const Config& c) {
  const auto root = c.root / "etcd-failover";
  std::filesystem::create_directories(root);
  EtcdCluster etcd(c.etcd, root);
  CKRON_RETURN_IF_ERROR(etcd.Start(3));
  const std::string body_prefix = "{\"key\":\"" + Base64("failover") + "\",\"value\":\"";
  std::vector<double> samples;
  for (int k = 0; k < c.kills; ++k) {
    for (int i = 0; i < 3; ++i) {
      if (!etcd.Running(i)) CKRON_RETURN_IF_ERROR(etcd.Restart(i));
    }
    int leader = -1;
    raft::testing::WaitFor(
        [&] {
          for (int i = 0; i < 3; ++i) {
            if (!etcd.Healthy(i)) return false;
          }
          return (leader = etcd.Leader()) >= 0;
        },
        60s, 20ms);
    if (leader < 0) return Status::Unavailable("etcd: no leader");
    std::vector<int> others;
    for (int i = 0; i < 3; ++i) {
      if (i != leader) others.push_back(i);
    }
    const std::string body = body_prefix + Base64(std::to_string(k)) + "\"}";
    const Clock::time_point t0 = Clock::now();
    etcd.Kill(leader);
    std::optional<double> ms;
    for (std::size_t attempt = 0; Clock::now() - t0 < 30s; ++attempt) {
      std::string reply;
      // A request a follower forwarded to the dead leader is held until
      // etcd's request timeout (~7 s), although a new leader exists long
      // before: give each attempt 100 ms and try again, so the figure is the
      // first write committed after the kill (the same as for ckron, whose
      // followers answer not_leader at once).
      auto code = HttpPost(etcd.client_port(others[attempt % others.size()]), "/v3/kv/put", body,
                           &reply, 100ms);
      if (code.ok() && *code == 200 && reply.find("\"error\"") == std::string::npos) {
        ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        break;
      }
      std::this_thread::sleep_for(1ms);
    }
    if (!ms) return Status::Timeout("etcd: no write within 30 s of a leader kill");
    samples.push_back(*ms);
    Note("etcd failover " + std::to_string(k + 1) + "/" + std::to_string(c.kills) + ": " +
         Num(*ms) + " ms");
  }
  return samples;
}

// ----------------------------------------------------------------------------

int Main(int argc, char** argv) {
  Config c;
  std::optional<raft::testing::TempDir> tmp;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--driver")
      c.driver = v;
    else if (k == "--etcd")
      c.etcd = v;
    else if (k == "--root")
      c.root = v;
    else if (k == "--measure-s")
      c.measure = std::chrono::milliseconds(std::stoi(v) * 1000);
    else if (k == "--warmup-s")
      c.warmup = std::chrono::milliseconds(std::stoi(v) * 1000);
    else if (k == "--kills")
      c.kills = std::stoi(v);
    else if (k == "--value-bytes")
      c.value_bytes = std::stoul(v);
    else if (k == "--driver-arg")
      c.driver_args.push_back(v);
    else {
      std::cerr << "raft_bench: unknown flag " << k << "\n";
      return 2;
    }
  }
  if (c.driver.empty()) {
    std::cerr << "raft_bench: --driver is required\n";
    return 2;
  }
  if (c.root.empty()) {
    tmp.emplace("ckron-raft-bench");
    c.root = tmp->path();
  }
  const bool with_etcd = !c.etcd.empty();
  if (!with_etcd) Note("no etcd binary given: peer figures are null");
  const std::vector<int> clients = {1, 64};

  auto ck = CkronThroughput(c, clients);
  if (!ck.ok()) {
    Note(ck.status().ToString());
    return 1;
  }
  std::optional<Throughput> et;
  if (with_etcd) {
    auto r = EtcdThroughput(c, clients);
    if (r.ok()) {
      et = std::move(r).value();
    } else {
      Note("etcd throughput failed: " + r.status().ToString());
    }
  }
  for (int n : clients) {
    const std::string suffix = n == 1 ? "1_client" : std::to_string(n) + "_clients";
    const LoadResult& mine = ck->by_clients.at(n);
    const LoadResult* peer = et ? &et->by_clients.at(n) : nullptr;
    Emit("writes_" + suffix, mine.ops_per_s(), "writes/s",
         peer ? std::optional<double>(peer->ops_per_s()) : std::nullopt);
    Emit("write_p99_" + suffix, mine.percentile_ms(99), "ms",
         peer ? std::optional<double>(peer->percentile_ms(99)) : std::nullopt);
    // The same ckron figure beside etcd driven through its HTTP/JSON gateway.
    const LoadResult* gw = et ? &et->by_clients_gateway.at(n) : nullptr;
    Emit("writes_" + suffix + "_vs_etcd_http_gateway", mine.ops_per_s(), "writes/s",
         gw ? std::optional<double>(gw->ops_per_s()) : std::nullopt);
  }

  auto fo = CkronFailover(c);
  if (!fo.ok()) {
    Note(fo.status().ToString());
    return 1;
  }
  std::optional<std::vector<double>> efo;
  if (with_etcd) {
    auto r = EtcdFailover(c);
    if (r.ok()) {
      efo = std::move(r).value();
    } else {
      Note("etcd failover failed: " + r.status().ToString());
    }
  }
  Emit("failover_p50", Percentile(*fo, 50), "ms",
       efo ? std::optional<double>(Percentile(*efo, 50)) : std::nullopt);
  Emit("failover_p99", Percentile(*fo, 99), "ms",
       efo ? std::optional<double>(Percentile(*efo, 99)) : std::nullopt);
  Emit("failover_runs", static_cast<double>(fo->size()), "kills",
       efo ? std::optional<double>(static_cast<double>(efo->size())) : std::nullopt);
  return 0;
}

}  // namespace
}  // namespace ckron::bench

int main(int argc, char** argv) {
  return ckron::bench::Main(argc, argv);
}
