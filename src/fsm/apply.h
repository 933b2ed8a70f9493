// Apply: the state machine's transition function (style.md §26). Given the
// state and one log entry it changes the state and returns what happened.
// It is deterministic — it reads no clock (the entry carries the leader's),
// no environment and no randomness — so every server that applies the same
// log reaches the same state.
//
// Thread safety: call from one thread at a time per State.
#ifndef CKRON_FSM_APPLY_H_
#define CKRON_FSM_APPLY_H_

#include <memory>
#include <optional>
#include <vector>

#include "common/status.h"
#include "fsm/commands.h"
#include "fsm/state.h"

namespace ckron::fsm {

struct ApplyResult {
  // Not OK when the command was refused; the state is then unchanged.
  // kNotFound (no such job), kFailedPrecondition (job has dependents),
  // kAlreadyExists (fire already recorded), kInvalidArgument (bad job).
  Status status;
  std::vector<Event> events;
  // The job after the command, for commands about one job (the API returns
  // it). For DeleteJob, the deleted job. Holding it makes the next change to
  // the job copy it first (copy-on-write), so callers drop it promptly.
  std::shared_ptr<const Job> job;
};

ApplyResult Apply(State& state, const Entry& entry);
// The same, taking the command's job or execution out of `entry` instead of
// copying it (its command is left valid but unspecified).
ApplyResult Apply(State& state, Entry&& entry);

// The job's next scheduled fire strictly after `after`, honouring
// starts_at/expires_at and the schedule anchor; nullopt when there is none
// (no schedule, @manually, past one-shots, after expires_at). Jobs without
// a timezone run in UTC (semantics §2.8).
std::optional<absl::Time> NextFire(const Job& job, absl::Time after);

// The first fire a scheduler started at `now` queues for the job: the first
// NextFire at or after `now` (fire instants are whole seconds), never at or
// before the job's last recorded fire (semantics §3). The leader's
// scheduler queues this one, then NextFire after each fire; the API's
// GET /v1/jobs/{job}/next lists the same sequence. Does not look at
// `disabled` or the cluster's pause (callers do).
std::optional<absl::Time> FirstFireFrom(const Job& job, absl::Time now);

// The zone the job's schedule is evaluated in: the schedule's TZ=/CRON_TZ=
// prefix, else the job's timezone, else UTC (semantics §2.8); UTC when the
// schedule or the zone does not parse.
absl::TimeZone ScheduleZone(const Job& job);

// The checks the state machine itself relies on; the API runs the same
// before proposing. Messages are Dkron's where Dkron has one:
// `name cannot be empty`, `name contains illegal character 'X'`,
// `the job can not have itself as parent`, `can't parse job schedule: ...`,
// `invalid concurrency policy value, use "allow", "forbid" or "replace"`,
// `unknown time zone "X"`.
Status ValidateJob(const Job& job);

}  // namespace ckron::fsm

#endif  // CKRON_FSM_APPLY_H_
