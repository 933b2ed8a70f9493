// The scheduling benchmarks (issue #5), one function each; every one starts
// its own cluster (bench_cluster.h), prints its figures as JSON lines and
// progress on stderr, and is bounded in count and time.
#ifndef CKRON_BENCH_SCHEDULING_MODES_H_
#define CKRON_BENCH_SCHEDULING_MODES_H_

#include <cstdint>
#include <vector>

namespace ckron::bench {

// 1,000,000 jobs on 3 servers: load time, RSS per server, and a probe job's
// trigger lag with none and with all of them registered.
struct JobsOptions {
  std::int64_t jobs = 1'000'000;
  int in_flight = 64;
  int probe_seconds = 20;
};
int RunJobs(const JobsOptions& options);

// Fires/s on 3 servers + 2 agents: each rate in turn (jobs @every 1s spread
// over the second and over the 5 nodes), every (job, scheduled, node) of a
// window checked exactly once; trigger lag per rate. Stops at the first rate
// that is not sustained.
struct RatesOptions {
  std::vector<int> rates = {250, 500, 1000, 2000, 4000, 7000, 10000};
  int warmup_seconds = 5;
  int window_seconds = 30;
  // A rate is sustained when every fire ran exactly once and the lag p99 is
  // below this (a late scheduler falls behind by whole periods).
  double max_p99_ms = 1000;
};
int RunRates(const RatesOptions& options);

// SIGKILL the leader → first fire by the new leader, `kills` times.
struct FailoverOptions {
  int kills = 10;
  int probes = 10;  // @every 1s jobs, phases 1 s / probes apart
};
int RunFailover(const FailoverOptions& options);

}  // namespace ckron::bench

#endif  // CKRON_BENCH_SCHEDULING_MODES_H_
