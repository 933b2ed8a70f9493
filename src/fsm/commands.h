// The commands the replicated log carries and the events applying them
// produces (style.md §6, §18). Every command type is one struct in the
// Command variant; Apply (apply.h) handles each with an exhaustive visit, so
// adding a type breaks the build until every handler knows it.
//
// Each log entry also carries the leader's clock reading (`Entry::now`): the
// state machine never reads a clock of its own, so every server computes
// the same state from the same log.
//
// Thread safety: plain values.
#ifndef CKRON_FSM_COMMANDS_H_
#define CKRON_FSM_COMMANDS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "fsm/job.h"

namespace ckron::fsm {

// The command format version this build writes and the newest it can apply.
// A leader proposes a newer format only when every voter supports it; a
// server that meets a newer entry stops rather than guess (docs/operations.md,
// upgrades).
inline constexpr std::uint32_t kCommandVersion = 1;

// Create or update a job (Dkron's SetJob). Computed fields in `job` are
// merged with the stored ones as Dkron does: counters max-merge, last times
// later-wins, status and dependent_jobs kept from the store.
struct PutJob {
  Job job;
};

// Delete a job, its executions and its link from its parent. Fails with
// kFailedPrecondition when it still has dependent jobs.
struct DeleteJob {
  std::string name;
};

// Enable or disable a job (the API's toggle) without a read-modify-write race.
struct SetJobDisabled {
  std::string name;
  bool disabled = false;
};

// Delete a job's finished executions and reset its counters and last times.
struct DeleteExecutions {
  std::string job_name;
};

// The scheduler fired (or a user ran) a job: recorded, with the nodes chosen
// to run it, before any node is asked to, so a new leader knows it happened
// and where it must run (semantics §4.1). A scheduled fire at or before the
// job's last recorded fire is refused (kAlreadyExists): no fire runs twice.
// Each target becomes a pending run until its execution starts. No targets:
// a failed execution "no target nodes found" is recorded instead.
struct RecordFire {
  std::string job_name;
  absl::Time scheduled = absl::UnixEpoch();
  // The trigger; executions carry it. Convention: the scheduled instant in
  // Unix nanoseconds (a manual run: the leader's clock).
  std::int64_t group = 0;
  bool manual = false;  // manual runs are not deduplicated by time
  std::vector<std::string> targets;
  // Non-zero: this fire runs a dependent job after the parent's group
  // `parent_group` succeeded, and settles that pending fire.
  std::int64_t parent_group = 0;
};

// A node started an execution. Idempotent by (job, id). The execution is
// "running" until finished; `lease_until` is when the leader may declare it
// lost unless renewed.
struct ExecutionStarted {
  Execution execution;
  absl::Time lease_until = absl::UnixEpoch();
};

// An execution ended (reported by its node, or failed by the leader when its
// lease expired). Idempotent by (job, id): a repeated report changes nothing.
struct ExecutionFinished {
  Execution execution;  // finished_at must be set
};

// The executing node is alive and still running these executions.
struct RenewLeases {
  std::string node_name;
  std::vector<std::pair<std::string, std::string>> executions;  // (job, id)
  absl::Time until = absl::UnixEpoch();
};

// Pause or resume job submissions cluster-wide (/v1/pause).
struct SetPaused {
  bool paused = false;
};

// The leader will not run a pending dependent fire (the child is disabled,
// the cluster is paused, or the child is busy under `forbid`: Dkron's
// "runnable" check, semantics §4.5): it is dropped, so no later leader runs
// a stale child. Refused with kNotFound when no such fire is pending.
struct SkipFire {
  std::string job_name;
  std::int64_t parent_group = 0;
  std::string reason;  // for the log
};

using Command = std::variant<PutJob, DeleteJob, SetJobDisabled, DeleteExecutions, RecordFire,
                             ExecutionStarted, ExecutionFinished, RenewLeases, SetPaused, SkipFire>;

// Whether a proposer of `command` reads the job in its outcome (the API's
// job writes answer with the job). Fires and executions are proposed by
// the dispatcher and the result service, which read only the status: their
// outcomes leave the job out (encoding it per run cost the leader ~4 %).
inline bool OutcomeCarriesJob(const Command& command) {
  return std::holds_alternative<PutJob>(command) || std::holds_alternative<DeleteJob>(command) ||
         std::holds_alternative<SetJobDisabled>(command) ||
         std::holds_alternative<DeleteExecutions>(command);
}

// One log entry's worth of state-machine input.
struct Entry {
  absl::Time now = absl::UnixEpoch();  // the leader's clock when proposing
  Command command;
};

// --- Events: what changed, for the scheduler, dispatcher and streams ------

// A run must be started on a node (a fire's target, or a retry) no earlier
// than `due`; the leader dispatches it (semantics §4.1).
struct RunPending {
  std::string job_name;
  std::int64_t group = 0;
  std::string node_name;
  std::uint32_t attempt = 1;
  absl::Time due = absl::UnixEpoch();
};
// A dependent job must fire because its parent's group succeeded; the leader
// picks its targets and records the fire.
struct FirePending {
  std::string job_name;
  std::int64_t parent_group = 0;
  absl::Time scheduled = absl::UnixEpoch();
};

struct JobUpserted {
  std::string name;
  bool schedule_changed = false;  // schedule, timezone, disabled or window changed
};
struct JobDeleted {
  std::string name;
};
struct FireRecorded {
  std::string job_name;
  absl::Time scheduled = absl::UnixEpoch();
  std::int64_t group = 0;
  bool manual = false;
};
struct ExecutionStartedEvent {
  std::string job_name;
  std::string id;
  std::string node_name;
  std::int64_t group = 0;
  std::uint32_t attempt = 1;
};
struct ExecutionFinishedEvent {
  std::string job_name;
  std::string id;
  std::string node_name;
  std::int64_t group = 0;
  std::uint32_t attempt = 1;
  bool success = false;
  std::string group_status;  // the job status this group now has
};
struct PauseChanged {
  bool paused = false;
};

using Event = std::variant<JobUpserted, JobDeleted, FireRecorded, ExecutionStartedEvent,
                           ExecutionFinishedEvent, PauseChanged, RunPending, FirePending>;

}  // namespace ckron::fsm

#endif  // CKRON_FSM_COMMANDS_H_
