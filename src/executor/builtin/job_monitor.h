// The shell executor's loop over one started job: feeds stdin, streams
// output, enforces the timeout and the memory limit, acts on cancellation,
// and waits until the job and everything it started are gone. One poll(2)
// loop per execution on the caller's thread; nothing here sleeps blindly.
//
// Thread safety: MonitorJob() owns `job` while it runs; the stop token may
// be triggered from any thread.
#ifndef CKRON_EXECUTOR_BUILTIN_JOB_MONITOR_H_
#define CKRON_EXECUTOR_BUILTIN_JOB_MONITOR_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "executor/builtin/shell.h"
#include "executor/builtin/spawn.h"

namespace ckron::executor {

struct MonitorSpec {
  std::string command;                    // for messages
  std::string payload;                    // written to stdin, then EOF
  std::optional<absl::Duration> timeout;  // unset: none
  std::int64_t mem_limit = 0;             // bytes; 0: none
  ShellOptions options;
};

struct MonitorOutcome {
  // The job's wait status, once it has exited; unset if it never did within
  // drain bounds (cannot happen short of an unkillable process).
  std::optional<int> wait_status;
  // Set when the job could not start (exec, chdir, su): a kFailed report,
  // for SpawnFailureText().
  std::optional<SpawnReport> start_failure;
  bool timed_out = false;
  bool mem_exceeded = false;
  bool cancelled = false;
};

// Runs the loop until the job has exited, its reaper is gone and its output
// is drained (or the drain bound passed). Calls `emit` with every output
// chunk and with the appended timeout / memory / cancel messages.
MonitorOutcome MonitorJob(SpawnedJob& job, const MonitorSpec& spec,
                          const std::function<void(std::string_view)>& emit, std::stop_token stop);

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_JOB_MONITOR_H_
