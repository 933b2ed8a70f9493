// What the scheduling benchmarks share: a cluster of real `ckron agent`
// processes with the noop executor (tests/cluster/agent_cluster.h, each node
// tagged bench=<its name>), parallel proposals through the Cluster service,
// the executions the servers committed, the noop executor's start log, RSS
// by PID, percentiles and the JSON lines bench/run collects.
//
// Thread safety: BenchCluster is not thread-safe except ProposeAll (which
// runs its own threads) and the read helpers, which writer threads may call.
#ifndef CKRON_BENCH_SCHEDULING_BENCH_CLUSTER_H_
#define CKRON_BENCH_SCHEDULING_BENCH_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "fsm/commands.h"
#include "fsm/job.h"
#include "rpc/cluster_client.h"
#include "tests/cluster/agent_cluster.h"

namespace ckron::bench {

// One line of the benchmark's output (peer null unless given).
void Report(const std::string& metric, double value, const std::string& unit,
            const std::string& peer = "", double peer_value = 0);

// p in [0, 100] of `values` (sorted in place); 0 when empty.
double Percentile(std::vector<double>& values, double p);

// VmRSS of a process in MiB, -1 if unknown.
double RssMiB(pid_t pid);

// A run the noop executor started, from its start log.
struct NoopStart {
  std::string job;
  std::int64_t scheduled_ns = 0;  // the group (scheduled instant) of the run
  std::string node;
  std::int64_t start_ns = 0;  // when the executor started
};

// A fire as the servers committed it: one execution.
struct Fire {
  std::int64_t scheduled_ns = 0;
  std::string node;
  absl::Time started_at;
  bool finished = false, success = false;
};

// Counts of the every-(job, scheduled, node)-exactly-once check.
struct FireCheck {
  std::int64_t expected = 0, ran_once = 0, missed = 0, doubled = 0, wrong_node = 0, unfinished = 0,
               failed = 0;
  std::vector<double> lag_started_at_ms;  // started_at - scheduled, per run in the window
  bool ok() const {
    return missed == 0 && doubled == 0 && wrong_node == 0 && unfinished == 0 && failed == 0;
  }
};

class BenchCluster {
 public:
  // `start_log`: the noop executor's start log every agent appends to.
  explicit BenchCluster(const std::string& prefix);
  ~BenchCluster();

  // Starts `servers` servers (bootstrap-expect) and `agents` plain agents,
  // each tagged bench=<name>, with the noop executor, log level warn; waits
  // for a leader, the voters and every member alive on every server.
  Status Start(int servers, int agents);

  testing::AgentCluster& cluster() { return cluster_; }
  int servers() const { return servers_; }
  std::string name(int i) const { return cluster_.name(i); }
  pid_t Pid(int i) const;  // by its data directory on /proc; -1 if none

  // Proposes the commands make(0..count-1) at server `at`, `in_flight` at a
  // time; make(i) may sleep to pace. Returns the number that failed (each
  // retried up to 3 times on kOutcomeUnknown/kUnavailable/kNotLeader).
  std::int64_t ProposeAll(int at, std::int64_t count, int in_flight,
                          const std::function<fsm::Command(std::int64_t)>& make);
  Status Propose(int at, fsm::Command command);

  // The jobs with names starting with `prefix` as server `at` has them.
  Result<std::vector<fsm::Job>> Jobs(int at, const std::string& prefix);
  // Every execution of `jobs` as server `at` has them, by job.
  std::map<std::string, std::vector<Fire>> Fires(int at, const std::vector<std::string>& jobs,
                                                 int threads = 8);

  // The noop executor's start log, lines of jobs starting with `prefix`.
  std::vector<NoopStart> Starts(const std::string& prefix) const;
  const std::string& start_log() const { return start_log_; }

 private:
  testing::AgentCluster cluster_;
  std::string start_log_;
  int servers_ = 0;
  rpc::ClusterClient client_;
};

// The every-(job, scheduled, node)-exactly-once check over [from, to): an
// @every job fires at anchor + k*period; `target` names the node each job
// runs on.
FireCheck CheckFires(const std::vector<fsm::Job>& jobs,
                     const std::map<std::string, std::vector<Fire>>& fires, absl::Duration period,
                     absl::Time from, absl::Time to,
                     const std::function<std::string(const fsm::Job&)>& target);

// A job for the benchmarks: noop executor, on the node tagged bench=`node`.
fsm::Job NoopJob(const std::string& name, const std::string& schedule, const std::string& node);

}  // namespace ckron::bench

#endif  // CKRON_BENCH_SCHEDULING_BENCH_CLUSTER_H_
