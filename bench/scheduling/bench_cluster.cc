#include "bench/scheduling/bench_cluster.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/time/clock.h"
#include "fsm/codec.h"
#include "replica/replicated_state.h"

namespace ckron::bench {

using namespace std::chrono_literals;

void Report(const std::string& metric, double value, const std::string& unit,
            const std::string& peer, double peer_value) {
  const std::string peer_json = peer.empty() ? "null" : "\"" + peer + "\"";
  char peer_value_json[64] = "null";
  if (!peer.empty()) std::snprintf(peer_value_json, sizeof peer_value_json, "%.3f", peer_value);
  std::printf(
      "{\"bench\":\"scheduling\",\"metric\":\"%s\",\"value\":%.3f,\"unit\":\"%s\","
      "\"peer\":%s,\"peer_value\":%s}\n",
      metric.c_str(), value, unit.c_str(), peer_json.c_str(), peer_value_json);
  std::fflush(stdout);
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  return values[static_cast<std::size_t>(std::llround(rank))];
}

double RssMiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

BenchCluster::BenchCluster(const std::string& prefix)
    : cluster_(prefix),
      start_log_((std::filesystem::temp_directory_path() /
                  (prefix + "-starts-" + std::to_string(::getpid()) + ".log"))
                     .string()) {
  std::filesystem::remove(start_log_);
  // Inherited by every agent this process starts (executor/builtin/noop.h).
  ::setenv("CKRON_TEST_NOOP_EXECUTOR", "1", 1);
  ::setenv("CKRON_TEST_NOOP_EXECUTOR_LOG", start_log_.c_str(), 1);
}

BenchCluster::~BenchCluster() {
  // Kept with the nodes' directories for a look at each start (CKRON_KEEP_TEST_DIRS).
  if (std::getenv("CKRON_KEEP_TEST_DIRS") == nullptr) std::filesystem::remove(start_log_);
}

Status BenchCluster::Start(int servers, int agents) {
  servers_ = servers;
  std::set<std::string> names;
  // CKRON_BENCH_LOG_LEVEL=debug gives the dispatcher's per-burst timings.
  const char* level = std::getenv("CKRON_BENCH_LOG_LEVEL");
  const std::string log_level = level != nullptr && *level != '\0' ? level : "warn";
  for (int k = 0; k < servers + agents; ++k) {
    const std::string name = "n" + std::to_string(k);
    const bool server = k < servers;
    cluster_.Add({.server = server,
                  .bootstrap_expect = server ? servers : 0,
                  .extra_args = {"--tag", "bench=" + name, "--log-level", log_level}});
    if (server) names.insert(name);
  }
  for (int k = 0; k < servers + agents; ++k) {
    CKRON_RETURN_IF_ERROR(
        cluster_.Start(k, k == 0 ? std::vector<std::string>{}
                                 : std::vector<std::string>{cluster_.gossip_addr(0)}));
  }
  if (cluster_.WaitForLeader(60s) < 0) return Status::Unavailable("no leader");
  for (int s = 0; s < servers; ++s) {
    if (!testing::Eventually([&] { return cluster_.HasVoters(s, names); }, 60s)) {
      return Status::Unavailable("server " + name(s) + " does not see every voter");
    }
    for (int k = 0; k < servers + agents; ++k) {
      if (!testing::Eventually([&] { return cluster_.MemberStatus(s, name(k)) == "alive"; })) {
        return Status::Unavailable(name(s) + " does not see " + name(k) + " alive");
      }
    }
  }
  return OkStatus();
}

pid_t BenchCluster::Pid(int i) const {
  const std::string dir = cluster_.data_dir(i).string();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string comm_and_before, state;
    long ppid = 0;
    // "<pid> (<comm>) <state> <ppid> ...": our children only.
    std::getline(stat, comm_and_before, ')');
    stat >> state >> ppid;
    if (ppid != ::getpid()) continue;
    std::ifstream cmdline(entry.path() / "cmdline");
    std::string arg;
    while (std::getline(cmdline, arg, '\0')) {
      if (arg == dir) return static_cast<pid_t>(std::stol(pid));
    }
  }
  return -1;
}

Status BenchCluster::Propose(int at, fsm::Command command) {
  Status last;
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::visit(
        [&](auto& c) {
          auto r = client_.Propose(cluster_.rpc_addr(at), replica::EncodeCommand(absl::Now(), c),
                                   /*forwarded=*/false, absl::Now() + absl::Seconds(30));
          last = r.ok() ? replica::OutcomeOf(*r).status : r.status();
        },
        command);
    const StatusCode code = last.code();
    if (code != StatusCode::kOutcomeUnknown && code != StatusCode::kUnavailable &&
        code != StatusCode::kNotLeader && code != StatusCode::kTimeout) {
      return last;
    }
  }
  return last;
}

std::int64_t BenchCluster::ProposeAll(int at, std::int64_t count, int in_flight,
                                      const std::function<fsm::Command(std::int64_t)>& make) {
  std::atomic<std::int64_t> next{0}, failed{0};
  std::mutex log_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < in_flight; ++t) {
    threads.emplace_back([&] {
      for (std::int64_t i = next++; i < count; i = next++) {
        const Status s = Propose(at, make(i));
        // A retried job write that had applied is fine (PutJob is an upsert).
        if (!s.ok()) {
          if (failed++ < 5) {
            std::lock_guard lock(log_mu);
            std::fprintf(stderr, "scheduling_bench: proposal %lld: %s\n", static_cast<long long>(i),
                         s.ToString().c_str());
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return failed.load();
}

Result<std::vector<fsm::Job>> BenchCluster::Jobs(int at, const std::string& prefix) {
  std::vector<fsm::Job> jobs;
  std::string after = prefix;  // names sort after their prefix
  while (true) {
    CKRON_ASSIGN_OR_RETURN(rpc::JobPage page, client_.ListJobs(cluster_.rpc_addr(at), after, 1000,
                                                               absl::Now() + absl::Seconds(30)));
    for (fsm::Job& j : page.jobs) {
      if (j.name.rfind(prefix, 0) != 0) return jobs;
      jobs.push_back(std::move(j));
    }
    if (page.next_start_after.empty()) return jobs;
    after = page.next_start_after;
  }
}

std::map<std::string, std::vector<Fire>> BenchCluster::Fires(int at,
                                                             const std::vector<std::string>& jobs,
                                                             int threads) {
  std::map<std::string, std::vector<Fire>> out;
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < jobs.size(); i = next++) {
        std::vector<Fire> fires;
        for (int attempt = 0; attempt < 3; ++attempt) {
          auto r = client_.ListExecutions(cluster_.rpc_addr(at), jobs[i], /*with_output=*/false,
                                          absl::Now() + absl::Seconds(30));
          if (!r.ok()) continue;
          for (const fsm::Execution& e : *r) {
            fires.push_back({.scheduled_ns = e.group,
                             .node = e.node_name,
                             .started_at = e.started_at,
                             .finished = e.finished_at.has_value(),
                             .success = e.success});
          }
          break;
        }
        std::lock_guard lock(mu);
        out[jobs[i]] = std::move(fires);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  return out;
}

std::vector<NoopStart> BenchCluster::Starts(const std::string& prefix) const {
  std::vector<NoopStart> out;
  std::ifstream in(start_log_);
  std::string line;
  while (std::getline(in, line)) {
    // "<job>\t<group + attempt - 1>-<node>\t<start ns>"
    const std::size_t tab1 = line.find('\t');
    const std::size_t tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos) continue;
    if (line.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string id = line.substr(tab1 + 1, tab2 - tab1 - 1);
    const std::size_t dash = id.find('-');
    if (dash == std::string::npos) continue;
    NoopStart s;
    s.job = line.substr(0, tab1);
    s.scheduled_ns = std::stoll(id.substr(0, dash));
    s.node = id.substr(dash + 1);
    s.start_ns = std::stoll(line.substr(tab2 + 1));
    out.push_back(std::move(s));
  }
  return out;
}

FireCheck CheckFires(const std::vector<fsm::Job>& jobs,
                     const std::map<std::string, std::vector<Fire>>& fires, absl::Duration period,
                     absl::Time from, absl::Time to,
                     const std::function<std::string(const fsm::Job&)>& target) {
  FireCheck c;
  const std::int64_t from_ns = absl::ToUnixNanos(from), to_ns = absl::ToUnixNanos(to);
  const std::int64_t period_ns = absl::ToInt64Nanoseconds(period);
  for (const fsm::Job& job : jobs) {
    // Fires at anchor + k*period, k >= 1 (semantics §2.4), the anchor
    // truncated to the second (schedules have whole-second instants).
    const std::int64_t anchor = absl::ToUnixSeconds(job.schedule_anchor) * 1'000'000'000;
    std::int64_t first = std::max<std::int64_t>(1, (from_ns - anchor + period_ns - 1) / period_ns);
    std::map<std::int64_t, int> expected;  // scheduled -> runs seen
    for (std::int64_t k = first; anchor + k * period_ns < to_ns; ++k) {
      if (anchor + k * period_ns >= from_ns) expected[anchor + k * period_ns] = 0;
    }
    c.expected += static_cast<std::int64_t>(expected.size());
    auto it = fires.find(job.name);
    const std::string node = target(job);
    if (std::getenv("SCHED_BENCH_DEBUG") != nullptr && &job == &jobs.front() && it != fires.end()) {
      std::fprintf(stderr, "debug: %s anchor %lld window [%lld, %lld)\n", job.name.c_str(),
                   (long long)anchor, (long long)from_ns, (long long)to_ns);
      for (const Fire& f : it->second) {
        std::fprintf(stderr, "debug:   group %lld node %s started %lld finished %d\n",
                     (long long)f.scheduled_ns, f.node.c_str(),
                     (long long)absl::ToUnixNanos(f.started_at), f.finished ? 1 : 0);
      }
    }
    if (it != fires.end()) {
      for (const Fire& f : it->second) {
        if (f.scheduled_ns < from_ns || f.scheduled_ns >= to_ns) continue;
        if (f.node != node) ++c.wrong_node;
        if (!f.finished) ++c.unfinished;
        if (f.finished && !f.success) ++c.failed;
        auto e = expected.find(f.scheduled_ns);
        if (e == expected.end()) {
          ++c.doubled;  // not a scheduled instant at all: counted as extra
          continue;
        }
        if (++e->second > 1) ++c.doubled;
        c.lag_started_at_ms.push_back(
            static_cast<double>(absl::ToUnixNanos(f.started_at) - f.scheduled_ns) / 1e6);
      }
    }
    for (const auto& [at, n] : expected) {
      if (n == 0) ++c.missed;
      if (n >= 1) ++c.ran_once;
    }
  }
  return c;
}

fsm::Job NoopJob(const std::string& name, const std::string& schedule, const std::string& node) {
  fsm::Job job;
  job.name = name;
  job.schedule = schedule;
  job.executor = "noop";
  job.tags = {{"bench", node}};
  return job;
}

}  // namespace ckron::bench
