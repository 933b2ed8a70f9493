// The replicated domain types: jobs and executions, with Dkron's fields and
// meanings (../shared/reference/dkron-spec.md §2.1, §2.2) plus the few fields
// ckron adds (marked "ckron").
//
// Thread safety: plain values.
#ifndef CKRON_FSM_JOB_H_
#define CKRON_FSM_JOB_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace ckron::fsm {

// At most this many executions are kept per job; the oldest finished ones are
// pruned first (Dkron's MaxExecutions).
inline constexpr std::size_t kMaxExecutionsPerJob = 100;
// An execution's stored output keeps its last this-many bytes (Dkron's
// circbuf maxBufSize).
inline constexpr std::size_t kMaxOutputBytes = 256'000;

// Job status strings, as Dkron's JSON carries them.
inline constexpr char kStatusUntriggered[] = "";
inline constexpr char kStatusSuccess[] = "success";
inline constexpr char kStatusFailed[] = "failed";
inline constexpr char kStatusPartiallyFailed[] = "partially_failed";

using StringMap = std::map<std::string, std::string>;

struct Job {
  std::string name;  // primary key: Unicode lowercase letters, digits, '_', '-'
  std::string displayname;
  std::string timezone;  // IANA zone; "" = the scheduler's default zone
  std::string schedule;  // cron/ syntax; may be "" for child jobs
  std::string owner;
  std::string owner_email;
  std::int64_t success_count = 0;          // computed; max-merged on update
  std::int64_t error_count = 0;            // computed; max-merged on update
  std::optional<absl::Time> last_success;  // computed; later wins on update
  std::optional<absl::Time> last_error;    // computed; later wins on update
  bool disabled = false;
  StringMap tags;      // target selector "key": "value[:count]"
  StringMap metadata;  // for API filtering only
  std::uint32_t retries = 0;
  std::vector<std::string> dependent_jobs;  // computed: the names of children
  std::string parent_job;
  std::map<std::string, StringMap> processors;
  std::string concurrency;  // "allow" (or ""), "forbid", ckron: "replace"
  std::string executor;
  StringMap executor_config;
  std::string status;                   // computed: "", success, failed, partially_failed
  absl::Time next = absl::UnixEpoch();  // computed: the next scheduled fire
  bool next_known = false;              // false: no next fire ("0001-01-01")
  bool ephemeral = false;
  std::optional<absl::Time> starts_at;
  std::optional<absl::Time> expires_at;

  // ckron: when the schedule (or time zone) was last set. @every counts its
  // phase from here and @after treats it as the creation time
  // (semantics §2.4, §2.5). Set by the state machine, not by clients.
  absl::Time schedule_anchor = absl::UnixEpoch();
  // ckron: the scheduled instant of the last recorded fire, so that a new
  // leader neither repeats nor loses fires (semantics: misfire policy).
  std::optional<absl::Time> last_fire;
  // ckron: the group (trigger id) whose outcome `status` reports.
  std::int64_t status_group = 0;
  // ckron: what a new leader does with fires that were due while there was
  // none (semantics §3): "run_once" (or ""), "skip", "run_all".
  std::string misfire_policy;
  // ckron: for run_once, the newest missed fire runs only if it is at most
  // this old; nullopt = the default (60 s).
  std::optional<absl::Duration> starting_deadline;
  // ckron: the wait before retry n is retry_backoff x 2^(n-1), at most an
  // hour; nullopt = Dkron's formula (semantics §4.3).
  std::optional<absl::Duration> retry_backoff;

  friend bool operator==(const Job&, const Job&) = default;
};

struct Execution {
  // "<started_at unix nanos>-<node_name>" as Dkron; unique within the job.
  std::string id;
  std::string job_name;
  absl::Time started_at = absl::UnixEpoch();
  std::optional<absl::Time> finished_at;  // nullopt while running
  bool success = false;
  std::string output;  // last kMaxOutputBytes bytes; error text first
  std::string node_name;
  std::int64_t group = 0;     // the trigger: shared by all nodes and retries
  std::uint32_t attempt = 1;  // 1, then +1 per retry

  bool running() const { return !finished_at.has_value(); }
  friend bool operator==(const Execution&, const Execution&) = default;
};

// Dkron's execution id: "<started_at unix nanos>-<node_name>".
std::string ExecutionKey(absl::Time started_at, const std::string& node_name);

// The id of one run (job, group, node, attempt), chosen by the leader when
// it dispatches: "<group + attempt - 1>-<node_name>", Dkron's id shape. It is
// deterministic, so a run re-dispatched by a new leader keeps its id and the
// agent, which refuses a second start of an id, never runs it twice.
std::string RunExecutionId(std::int64_t group, std::uint32_t attempt, const std::string& node_name);

}  // namespace ckron::fsm

#endif  // CKRON_FSM_JOB_H_
