// Failure detection on real processes, side by side (bench/membership/run.sh):
// 5 ckron gossip nodes (ckron_member_node, lan profile) and 5 real `serf`
// agents (Debian serf 0.9.4, -profile=lan), each cluster alone on 127.0.0.1.
// Repeatedly: SIGKILL one member, time until every survivor has raised
// member-failed for it, restart it, wait until everyone sees it alive again.
//
// Both programs log the same line when their Serf layer raises the event
// ("EventMemberFailed: <name> <ip>"), so the clock stops when that line
// appears in the last survivor's log — the same observation point on both
// sides, polled every 5 ms, with no client process in the loop.
//
//   membership_failure_bench --member-node PATH [--kills 10]
//
// Prints JSON lines: both medians, both worst cases, and the ratio. Every
// process is started here and killed by PID when the bench ends, also on
// error.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process.h"

using ckron::testing::Process;
using ckron::testing::RunStatus;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr int kNodes = 5;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One cluster of kNodes members of one kind on 127.0.0.1.
class Cluster {
 public:
  using Argv = std::function<std::vector<std::string>(int i, int port, bool join)>;
  Cluster(std::string prefix, std::string dir, int base_port, Argv argv)
      : prefix_(std::move(prefix)),
        dir_(std::move(dir)),
        base_(base_port),
        argv_(std::move(argv)),
        procs_(kNodes),
        logs_(kNodes),
        restarts_(kNodes, 0) {}

  std::string Name(int i) const { return prefix_ + std::to_string(i); }
  int Port(int i) const { return base_ + i; }
  const std::string& LogPath(int i) const { return logs_[static_cast<std::size_t>(i)]; }
  std::string Log(int i) const { return Slurp(LogPath(i)); }

  void Start(int i) {
    auto& r = restarts_[static_cast<std::size_t>(i)];
    logs_[static_cast<std::size_t>(i)] = dir_ + "/" + Name(i) + "." + std::to_string(r++) + ".log";
    procs_[static_cast<std::size_t>(i)] =
        std::make_unique<Process>(argv_(i, Port(i), i > 0), LogPath(i));
  }
  void Kill(int i) {
    auto& p = procs_[static_cast<std::size_t>(i)];
    p->Kill(SIGKILL);
    p->Wait(10s);
  }
  void StopAll() {
    for (auto& p : procs_) p.reset();  // SIGKILL + reap
  }

  // Does node `viewer`'s log, from byte `from` on, hold `line` about `who`?
  bool Saw(int viewer, std::size_t from, const std::string& event, const std::string& who) const {
    const std::string log = Log(viewer);
    return from < log.size() && log.find(event + ": " + who + " ", from) != std::string::npos;
  }
  // Every node sees every other as joined, in its current log.
  bool Converged() const {
    for (int v = 0; v < kNodes; ++v) {
      for (int s = 0; s < kNodes; ++s) {
        if (!Saw(v, 0, "EventMemberJoin", Name(s))) return false;
      }
    }
    return true;
  }

 private:
  std::string prefix_, dir_;
  int base_;
  Argv argv_;
  std::vector<std::unique_ptr<Process>> procs_;
  std::vector<std::string> logs_;
  std::vector<int> restarts_;
};

bool Poll(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
          std::chrono::milliseconds step = 5ms) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

// Kills members in turn; returns the seconds until the last survivor saw
// each failure (kills that were never seen within a minute are left out).
std::vector<double> Measure(Cluster& c, int kills, const char* label) {
  for (int i = 0; i < kNodes; ++i) {
    c.Start(i);
    std::this_thread::sleep_for(200ms);
  }
  std::vector<double> out;
  if (!Poll([&] { return c.Converged(); }, 60s, 50ms)) {
    std::fprintf(stderr, "%s: cluster never converged; see %s\n", label, c.LogPath(0).c_str());
    c.StopAll();
    return out;
  }
  std::this_thread::sleep_for(2s);
  for (int k = 0; k < kills; ++k) {
    const int victim = 1 + k % (kNodes - 1);
    std::vector<std::size_t> from(kNodes);
    for (int v = 0; v < kNodes; ++v) from[static_cast<std::size_t>(v)] = c.Log(v).size();
    c.Kill(victim);
    const auto t0 = Clock::now();
    const bool seen = Poll(
        [&] {
          for (int v = 0; v < kNodes; ++v) {
            if (v != victim &&
                !c.Saw(v, from[static_cast<std::size_t>(v)], "EventMemberFailed", c.Name(victim))) {
              return false;
            }
          }
          return true;
        },
        60s);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::fprintf(stderr, "  %s kill %2d (%s): %s\n", label, k + 1, c.Name(victim).c_str(),
                 seen ? (std::to_string(s).substr(0, 5) + " s").c_str() : "not seen in 60 s");
    if (seen) out.push_back(s);
    // Back in, and settled, before the next kill.
    for (int v = 0; v < kNodes; ++v) from[static_cast<std::size_t>(v)] = c.Log(v).size();
    c.Start(victim);
    Poll(
        [&] {
          for (int v = 0; v < kNodes; ++v) {
            if (v != victim &&
                !c.Saw(v, from[static_cast<std::size_t>(v)], "EventMemberJoin", c.Name(victim))) {
              return false;
            }
          }
          return c.Converged();
        },
        60s, 50ms);
    std::this_thread::sleep_for(2s);
  }
  c.StopAll();
  return out;
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Max(const std::vector<double>& v) {
  return v.empty() ? NAN : *std::max_element(v.begin(), v.end());
}

std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

void Print(const std::string& metric, double value, const char* unit, const char* peer,
           double peer_value, std::size_t n, std::size_t peer_n) {
  std::printf(
      "{\"bench\":\"membership\",\"metric\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"peer\":\"%s\","
      "\"peer_value\":%s,\"kills\":%zu,\"peer_kills\":%zu}\n",
      metric.c_str(), Num(value).c_str(), unit, peer, Num(peer_value).c_str(), n, peer_n);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string node_bin;
  int kills = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--member-node")
      node_bin = argv[i + 1];
    else if (k == "--kills")
      kills = std::atoi(argv[i + 1]);
  }
  if (node_bin.empty() || RunStatus({"serf", "version"}) != 0) {
    std::fprintf(stderr, "usage: %s --member-node PATH [--kills N]  (needs serf on PATH)\n",
                 argv[0]);
    return 2;
  }
  char tmpl[] = "/tmp/ckron-fd-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const int base = 23000 + static_cast<int>(getpid() % 100) * 30;

  Cluster serf("s", dir, base, [&](int i, int port, bool join) {
    std::vector<std::string> a = {"serf",
                                  "agent",
                                  "-node=s" + std::to_string(i),
                                  "-bind=127.0.0.1:" + std::to_string(port),
                                  "-rpc-addr=127.0.0.1:" + std::to_string(port + 10),
                                  "-profile=lan"};
    if (join) a.push_back("-join=127.0.0.1:" + std::to_string(base));
    return a;
  });
  Cluster ckron("c", dir, base + 20, [&](int i, int port, bool join) {
    std::vector<std::string> a = {node_bin, "--name", "c" + std::to_string(i), "--bind",
                                  "127.0.0.1:" + std::to_string(port), "--profile", "lan",
                                  // Raw events, like serf's log line.
                                  "--coalesce-ms", "0"};
    if (join) a.insert(a.end(), {"--join", "127.0.0.1:" + std::to_string(base + 20)});
    return a;
  });
  std::fprintf(stderr, "failure detection, %d kills each, logs in %s\n", kills, dir.c_str());
  const std::vector<double> s = Measure(serf, kills, "serf ");
  const std::vector<double> c = Measure(ckron, kills, "ckron");
  const char* peer = "serf 0.9.4 (Debian), -profile=lan";
  Print("failure_detection_median_5_nodes_real", Median(c), "s", peer, Median(s), c.size(),
        s.size());
  Print("failure_detection_max_5_nodes_real", Max(c), "s", peer, Max(s), c.size(), s.size());
  Print("failure_detection_median_ratio_ckron_over_serf", Median(c) / Median(s), "ratio", peer, 1.0,
        c.size(), s.size());
  if (static_cast<int>(c.size()) == kills && static_cast<int>(s.size()) == kills)
    RunStatus({"rm", "-rf", dir});
  return c.empty() || s.empty() ? 1 : 0;
}
