// The replicated state: what every server holds after applying the log.
// Jobs, running executions with their leases, the pause flag and daily
// counters live in memory; finished executions and outputs live in the
// ExecutionStore (on disk in production).
//
// Thread safety: not thread-safe. Apply() (apply.h) mutates it on the
// applier thread; readers on other threads must hold the lock the owner of
// the State uses to serialize with Apply (fsm/replicated_state.h, later).
#ifndef CKRON_FSM_STATE_H_
#define CKRON_FSM_STATE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "fsm/execution_store.h"
#include "fsm/job.h"
#include "fsm/job_table.h"

namespace ckron::fsm {

struct RunningExecution {
  std::string node_name;
  absl::Time started_at = absl::UnixEpoch();
  std::int64_t group = 0;
  std::uint32_t attempt = 1;
  absl::Time lease_until = absl::UnixEpoch();  // may be declared lost after this
  friend bool operator==(const RunningExecution&, const RunningExecution&) = default;
};

// A run waiting to be started on a node (a fire's target or a retry).
struct PendingRun {
  absl::Time due = absl::UnixEpoch();      // not before (retry backoff)
  absl::Time created = absl::UnixEpoch();  // when recorded (dispatch timeouts)
  friend bool operator==(const PendingRun&, const PendingRun&) = default;
};

// Identifies one run: the job, its trigger, the node and the attempt.
struct RunKey {
  std::string job_name;
  std::int64_t group = 0;
  std::string node_name;
  std::uint32_t attempt = 1;
  friend auto operator<=>(const RunKey&, const RunKey&) = default;
};

// Executions finished on one UTC day (Dkron v4.1's /v1/stats).
struct DayStats {
  std::int64_t success = 0;
  std::int64_t failed = 0;
  friend bool operator==(const DayStats&, const DayStats&) = default;
};

// Days of statistics kept; older days are dropped as new ones arrive.
inline constexpr int kStatsDays = 400;

class State {
 public:
  using RunningKey = std::pair<std::string, std::string>;  // (job, execution id)
  using RunningMap = std::map<RunningKey, RunningExecution>;
  using PendingRunMap = std::map<RunKey, PendingRun>;
  // (job, parent group) -> the parent fire's scheduled instant.
  using PendingFireMap = std::map<std::pair<std::string, std::int64_t>, absl::Time>;

  // `executions` must outlive the State.
  explicit State(ExecutionStore* executions) : executions_(executions) {}

  const Job* FindJob(std::string_view name) const;
  // The job, kept alive after later applies change or delete it.
  std::shared_ptr<const Job> ShareJob(std::string_view name) const;
  // Jobs are copy-on-write (job_table.h): a snapshot freezes them cheaply
  // and serializes them while applying continues.
  const JobTable& jobs() const { return jobs_; }
  const RunningMap& running() const { return running_; }
  bool paused() const { return paused_; }
  const PendingRunMap& pending_runs() const { return pending_runs_; }
  const PendingFireMap& pending_fires() const { return pending_fires_; }
  const std::map<absl::CivilDay, DayStats>& daily_stats() const { return daily_stats_; }
  ExecutionStore& executions() const { return *executions_; }

  // Number of running executions of one job.
  std::size_t RunningCount(std::string_view job_name) const;

  // Debug check of the cross-references (parent <-> dependent_jobs, running
  // entries belong to existing jobs). Returns "" when consistent, else what
  // is wrong; tests call it after every step.
  std::string CheckInvariants() const;

  // Same jobs (by value), running executions, pause flag and statistics.
  // Executions in the store are not compared.
  bool SameReplicatedMemory(const State& other) const;

 private:
  friend class Applier;
  friend class SnapshotReader;

  std::string CheckJob(const Job& job) const;

  JobTable jobs_;
  // Invariant: every key's job exists in jobs_.
  RunningMap running_;
  bool paused_ = false;
  // Invariant: every key's job exists.
  PendingRunMap pending_runs_;
  // Invariant: every key's job exists.
  PendingFireMap pending_fires_;
  std::map<absl::CivilDay, DayStats> daily_stats_;
  ExecutionStore* executions_;  // not owned
};

}  // namespace ckron::fsm

#endif  // CKRON_FSM_STATE_H_
