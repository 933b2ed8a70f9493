// Failover (issue #5): SIGKILL the leader → the first fire by the new
// leader, started by the executor on its node. 3 servers + 1 plain agent
// (n3) that runs `probes` jobs "@every 1s" (noop, misfire run_all) whose
// phases are spread over the second. A fire scheduled at or after the kill
// can only come from the new leader; the figure is the first such run's
// executor start (noop start log) - the kill instant. Each kill is then
// checked: every probe fire scheduled from 3 s before the kill to 5 s after
// ran exactly once on n3 (run_all: fires due while there was no leader are
// caught up, none dropped). The killed server is restarted and caught up
// before the next kill.
#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "bench/scheduling/bench_cluster.h"
#include "bench/scheduling/modes.h"

namespace ckron::bench {
namespace {

using namespace std::chrono_literals;

constexpr int kServers = 3;
const char kPrefix[] = "fo-";

// The first run of a probe scheduled at or after `kill_ns`, or -1.
std::int64_t FirstStartAfter(const BenchCluster& bc, std::int64_t kill_ns) {
  std::int64_t first = -1;
  for (const NoopStart& s : bc.Starts(kPrefix)) {
    if (s.scheduled_ns >= kill_ns && (first < 0 || s.start_ns < first)) first = s.start_ns;
  }
  return first;
}

}  // namespace

int RunFailover(const FailoverOptions& o) {
  BenchCluster bc("ckron-sched-failover");
  if (Status s = bc.Start(kServers, 1); !s.ok()) {
    std::fprintf(stderr, "failover: %s\n%s", s.ToString().c_str(), bc.cluster().Describe().c_str());
    return 1;
  }
  for (int k = 0; k < o.probes; ++k) {
    fsm::Job job = NoopJob(kPrefix + std::to_string(k), "@every 1s", "n3");
    job.misfire_policy = "run_all";
    if (Status s = bc.Propose(bc.cluster().Leader(), fsm::PutJob{job}); !s.ok()) {
      std::fprintf(stderr, "failover: probe: %s\n", s.ToString().c_str());
      return 1;
    }
    std::this_thread::sleep_for(1000ms / o.probes);
  }
  std::this_thread::sleep_for(3s);

  std::vector<double> failover_ms;
  FireCheck total;
  int stuck = 0;
  for (int kill = 0; kill < o.kills; ++kill) {
    const int leader = bc.cluster().Leader();
    if (leader < 0) {
      std::fprintf(stderr, "failover: no leader before kill %d\n", kill);
      break;
    }
    const absl::Time killed_at = absl::Now();
    bc.cluster().Kill(leader);
    const std::int64_t kill_ns = absl::ToUnixNanos(killed_at);
    std::int64_t first = -1;
    testing::Eventually(
        [&] {
          first = FirstStartAfter(bc, kill_ns);
          return first >= 0;
        },
        20s);
    const int next = bc.cluster().WaitForLeader(20s, leader);
    if (first < 0 || next < 0) {
      std::fprintf(stderr, "failover: kill %d of %s: no fire by a new leader within 20 s\n", kill,
                   bc.name(leader).c_str());
      ++stuck;
    } else {
      failover_ms.push_back(static_cast<double>(first - kill_ns) / 1e6);
      std::fprintf(stderr, "failover: kill %d of %s: %s leads, first fire after %.0f ms\n", kill,
                   bc.name(leader).c_str(), bc.name(next).c_str(), failover_ms.back());
    }
    std::this_thread::sleep_for(5s);  // the checked span ends 5 s after the kill
    // Back to three servers, caught up, before the next kill.
    if (Status s = bc.cluster().Start(leader, {bc.cluster().gossip_addr(next >= 0 ? next : 0)});
        !s.ok()) {
      std::fprintf(stderr, "failover: restarting %s: %s\n", bc.name(leader).c_str(),
                   s.ToString().c_str());
      break;
    }
    if (next >= 0) {
      auto jobs = bc.Jobs(next, kPrefix);
      if (jobs.ok()) {
        std::vector<std::string> names;
        for (const fsm::Job& j : *jobs) names.push_back(j.name);
        const FireCheck c = CheckFires(*jobs, bc.Fires(next, names, 2), absl::Seconds(1),
                                       killed_at - absl::Seconds(3), killed_at + absl::Seconds(5),
                                       [](const fsm::Job&) { return std::string("n3"); });
        std::fprintf(stderr,
                     "failover: kill %d: expected %lld, once %lld, missed %lld, doubled %lld, "
                     "failed %lld, unfinished %lld\n",
                     kill, (long long)c.expected, (long long)c.ran_once, (long long)c.missed,
                     (long long)c.doubled, (long long)c.failed, (long long)c.unfinished);
        total.expected += c.expected;
        total.missed += c.missed;
        total.doubled += c.doubled;
        total.failed += c.failed + c.unfinished + c.wrong_node;
      }
    }
    const bool caught_up = testing::Eventually(
        [&] {
          auto mine = bc.cluster().ServerStatus(leader);
          const int l = bc.cluster().Leader();
          if (!mine.ok() || l < 0) return false;
          auto theirs = bc.cluster().ServerStatus(l);
          return theirs.ok() && mine->last_applied.value() + 10 >= theirs->commit_index.value();
        },
        60s);
    if (!caught_up)
      std::fprintf(stderr, "failover: %s did not catch up\n", bc.name(leader).c_str());
    std::this_thread::sleep_for(2s);
  }
  std::vector<double> sorted = failover_ms;
  Report("failover/kills", static_cast<double>(failover_ms.size()), "kills");
  Report("failover/no_fire_within_20s", stuck, "kills");
  Report("failover/first_fire_median", Percentile(sorted, 50), "ms");
  Report("failover/first_fire_min", sorted.empty() ? 0 : sorted.front(), "ms");
  Report("failover/first_fire_max", Percentile(sorted, 100), "ms");
  Report("failover/probe_fires_checked", static_cast<double>(total.expected), "fires");
  Report("failover/missed", static_cast<double>(total.missed), "fires");
  Report("failover/doubled", static_cast<double>(total.doubled), "fires");
  Report("failover/failed", static_cast<double>(total.failed), "fires");
  return 0;
}

}  // namespace ckron::bench
