// Fires/s sustained and trigger lag (issue #5): 3 servers + 2 plain agents,
// the noop executor. For each rate R: R jobs "@every 1s", each on one node
// (tag bench=<node>, round robin over the 5). Schedules have whole-second
// instants, so all R fire at the same instant every second: the lag's tail
// is the time to drain a burst of R fires. After a warm-up, a window of W
// seconds: every (job, scheduled instant, node) in it must have run exactly
// once, as the leader committed it. Lag = executor start (the noop start
// log) - scheduled instant; the committed started_at (stamped by the
// agent's run table when it accepts the run, just before the executor's
// thread starts) is reported beside it.
#include <sys/types.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "bench/scheduling/bench_cluster.h"
#include "bench/scheduling/modes.h"

namespace ckron::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kServers = 3, kAgents = 2;

// utime + stime of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string skip;
  std::getline(stat, skip, ')');
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && stat >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

void SleepUntil(absl::Time t) {
  const absl::Duration d = t - absl::Now();
  if (d > absl::ZeroDuration()) std::this_thread::sleep_for(absl::ToChronoNanoseconds(d));
}

struct RateResult {
  bool sustained = false;
  double fires_per_s = 0;
};

RateResult RunRate(BenchCluster& bc, int rate, const RatesOptions& o) {
  const int nodes = kServers + kAgents;
  const int leader = bc.cluster().Leader();
  if (leader < 0) {
    std::fprintf(stderr, "rates: no leader\n");
    return {};
  }
  const std::string prefix = "r" + std::to_string(rate) + "-";
  std::fprintf(stderr, "rates: %d fires/s: creating %d jobs over 1 s at %s\n", rate, rate,
               bc.name(leader).c_str());
  const absl::Time created_from = absl::Now();
  const std::int64_t failed = bc.ProposeAll(leader, rate, 64, [&](std::int64_t i) -> fsm::Command {
    SleepUntil(created_from + absl::Seconds(1) * static_cast<double>(i) / rate);
    char name[32];
    std::snprintf(name, sizeof name, "%s%06lld", prefix.c_str(), static_cast<long long>(i));
    return fsm::PutJob{NoopJob(name, "@every 1s", "n" + std::to_string(i % nodes))};
  });
  const double create_s = absl::ToDoubleSeconds(absl::Now() - created_from);
  if (failed > 0) std::fprintf(stderr, "rates: %lld job writes failed\n", (long long)failed);
  std::fprintf(stderr, "rates: created in %.2f s\n", create_s);

  const absl::Time from = absl::Now() + absl::Seconds(o.warmup_seconds);
  const absl::Time to = from + absl::Seconds(o.window_seconds);
  std::vector<pid_t> pids;
  for (int i = 0; i < nodes; ++i) pids.push_back(bc.Pid(i));
  SleepUntil(from);
  std::vector<double> cpu0;
  for (pid_t p : pids) cpu0.push_back(CpuSeconds(p));
  SleepUntil(to);
  std::string cpu_line;
  for (std::size_t i = 0; i < pids.size(); ++i) {
    const double pct = (CpuSeconds(pids[i]) - cpu0[i]) / o.window_seconds * 100;
    cpu_line += " " + bc.name(static_cast<int>(i)) + "=" + std::to_string(static_cast<int>(pct)) +
                "%" + (static_cast<int>(i) == leader ? "(leader)" : "");
  }
  std::fprintf(stderr, "rates: window over; CPU during it:%s\n", cpu_line.c_str());
  // Let the window's last runs report, then stop firing while we read.
  std::this_thread::sleep_for(3s);
  const int now_leader = bc.cluster().Leader();
  if (now_leader != leader) {
    std::fprintf(stderr, "rates: leadership moved from %s to %s during the run\n",
                 bc.name(leader).c_str(), now_leader >= 0 ? bc.name(now_leader).c_str() : "none");
  }
  const int at = now_leader >= 0 ? now_leader : leader;
  if (Status s = bc.Propose(at, fsm::SetPaused{true}); !s.ok()) {
    std::fprintf(stderr, "rates: pause: %s\n", s.ToString().c_str());
  }
  std::this_thread::sleep_for(1s);

  auto jobs = bc.Jobs(at, prefix);
  if (!jobs.ok()) {
    std::fprintf(stderr, "rates: listing jobs: %s\n", jobs.status().ToString().c_str());
    return {};
  }
  std::vector<std::string> names;
  for (const fsm::Job& j : *jobs) names.push_back(j.name);
  const auto fires = bc.Fires(at, names);
  FireCheck c = CheckFires(*jobs, fires, absl::Seconds(1), from, to,
                           [](const fsm::Job& j) { return j.tags.at("bench"); });

  std::vector<double> lag_ms;
  const std::int64_t from_ns = absl::ToUnixNanos(from), to_ns = absl::ToUnixNanos(to);
  for (const NoopStart& s : bc.Starts(prefix)) {
    if (s.scheduled_ns >= from_ns && s.scheduled_ns < to_ns) {
      lag_ms.push_back(static_cast<double>(s.start_ns - s.scheduled_ns) / 1e6);
    }
  }
  const double runs = static_cast<double>(c.ran_once + c.doubled);
  RateResult r;
  r.fires_per_s = runs / o.window_seconds;
  const double p99 = Percentile(lag_ms, 99);
  r.sustained = c.ok() && c.expected > 0 && p99 < o.max_p99_ms;
  std::fprintf(stderr,
               "rates: %d/s: expected %lld, ran once %lld, missed %lld, doubled %lld, wrong node "
               "%lld, unfinished %lld, failed %lld; %.0f fires/s; lag p50 %.2f p99 %.2f max %.2f "
               "ms (started_at p99 %.2f ms) -> %s\n",
               rate, (long long)c.expected, (long long)c.ran_once, (long long)c.missed,
               (long long)c.doubled, (long long)c.wrong_node, (long long)c.unfinished,
               (long long)c.failed, r.fires_per_s, Percentile(lag_ms, 50), p99,
               Percentile(lag_ms, 100), Percentile(c.lag_started_at_ms, 99),
               r.sustained ? "sustained" : "NOT sustained");
  const std::string m = "rate_" + std::to_string(rate) + "/";
  Report(m + "fires_per_s", r.fires_per_s, "fires/s");
  Report(m + "missed", static_cast<double>(c.missed), "fires");
  Report(m + "doubled", static_cast<double>(c.doubled), "fires");
  Report(m + "failed_or_unfinished", static_cast<double>(c.failed + c.unfinished + c.wrong_node),
         "fires");
  Report(m + "lag_p50", Percentile(lag_ms, 50), "ms");
  Report(m + "lag_p99", p99, "ms");
  Report(m + "lag_max", Percentile(lag_ms, 100), "ms");
  Report(m + "lag_p99_started_at", Percentile(c.lag_started_at_ms, 99), "ms");
  Report(m + "sustained", r.sustained ? 1 : 0, "bool");

  // Clean up for the next rate: delete the jobs, then fire again.
  bc.ProposeAll(at, static_cast<std::int64_t>(names.size()), 32,
                [&](std::int64_t i) -> fsm::Command {
                  return fsm::DeleteJob{names[static_cast<std::size_t>(i)]};
                });
  if (Status s = bc.Propose(at, fsm::SetPaused{false}); !s.ok()) {
    std::fprintf(stderr, "rates: unpause: %s\n", s.ToString().c_str());
  }
  return r;
}

}  // namespace

int RunRates(const RatesOptions& options) {
  BenchCluster bc("ckron-sched-rates");
  if (Status s = bc.Start(kServers, kAgents); !s.ok()) {
    std::fprintf(stderr, "rates: %s\n%s", s.ToString().c_str(), bc.cluster().Describe().c_str());
    return 1;
  }
  int best = 0;
  double best_fires = 0;
  for (int rate : options.rates) {
    const RateResult r = RunRate(bc, rate, options);
    if (!r.sustained) break;
    best = rate;
    best_fires = r.fires_per_s;
  }
  Report("highest_sustained_rate", best, "fires/s");
  Report("highest_sustained_fires_per_s", best_fires, "fires/s");
  return 0;
}

}  // namespace ckron::bench
