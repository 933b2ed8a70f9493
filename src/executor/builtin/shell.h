// The `shell` executor (dkron-spec §5.1; docs/executors.md): runs the job's
// `command` as a process on this node.
//
//   command    required; split like go-shellwords and exec'd directly, or
//              run by `/bin/sh -c` when `shell` is "true"
//   env        "K=V,K2=V2" added to the agent's environment, then
//              ENV_JOB_NAME=<job>
//   cwd        working directory
//   timeout    Go duration; when it runs out the job's process group and
//              every descendant get SIGKILL and Dkron's message is appended
//   mem_limit  bytes or number+unit; the job's processes' total RSS is
//              polled and the job killed (with a message) when it is over
//   su         user[:group]; needs root
//   payload    base64, written to stdin (stdin is at EOF without it)
//
// Success means exit status 0. Stdout and stderr go through one pipe, so
// they interleave exactly as written; each chunk read is streamed to the
// sink and kept in a 256,000-byte ring. Cancelling sends SIGTERM to the
// job's processes and SIGKILL after `cancel_grace`. When the job's main
// process exits, what it left running is killed (kill_leftovers) and every
// process is reaped: nothing outlives the execution, no zombie remains.
// How processes are started and reaped: spawn.h.
//
// Thread safety: safe for concurrent use; each Execute() owns its processes
// and waits in poll(2) on its own thread, so a slow job delays no other.
#ifndef CKRON_EXECUTOR_BUILTIN_SHELL_H_
#define CKRON_EXECUTOR_BUILTIN_SHELL_H_

#include <stop_token>

#include "absl/time/time.h"
#include "executor/executor.h"

namespace ckron::executor {

struct ShellOptions {
  // After a cancel's SIGTERM, how long the job may take to exit before its
  // processes get SIGKILL. Longer: more time to clean up; slower kills.
  absl::Duration cancel_grace = absl::Seconds(10);
  // How often `mem_limit` is checked by summing the RSS of the job's
  // processes from /proc. Dkron polls every 1 s; shorter catches fast
  // allocators sooner at the cost of a /proc scan per job per interval.
  absl::Duration mem_poll_interval = absl::Milliseconds(250);
  // When the job's main process exits, SIGKILL the processes it left
  // running (background children, daemons it spawned). false keeps Dkron's
  // behaviour of letting them live on, outside ckron's control.
  bool kill_leftovers = true;
  // After the main process exits, how long to keep collecting output from
  // processes still holding the pipe (kill_leftovers off), or to wait for
  // leftovers to die; then the execution ends regardless.
  absl::Duration drain_timeout = absl::Seconds(2);
};

class ShellExecutor final : public Executor {
 public:
  explicit ShellExecutor(ShellOptions options = {});

  // Dkron's API checks: "Error parsing job timeout value", "Error parsing
  // job memory limit value: <why>".
  Status Validate(const ExecutorConfig& config) const override;

  // Errors in the response (the output keeps what the job printed):
  //   "exit status N", "signal: killed"        the job failed or was killed
  //   "shell: Command missing"                 `command` is blank
  //   "invalid command line string"            unbalanced quotes (go-shellwords)
  //   `exec: "x": executable file not found in $PATH`
  //   "fork/exec <path>: <errno text>"         exec failed
  //   "chdir <cwd>: <errno text>"              `cwd` is not usable
  //   "user: unknown user X", "group: unknown group X", or "su ...: needs root"
  //   "shell: Error parsing job timeout", "shell: Error parsing job memory
  //   limit: <why>", "illegal base64 data at input byte N" (payload)
  // On timeout, memory limit and cancel a line of text is appended to the
  // output (and streamed): "shell: Job '<command>' execution time exceeding
  // defined timeout <d>. Job was killed", "shell: Job '<command>' memory usage
  // (N bytes) exceeding defined limit (M bytes). Job was killed", "shell: Job
  // '<command>' was cancelled. Job was stopped".
  ExecuteResponse Execute(const ExecuteRequest& request, const OutputSink& sink,
                          std::stop_token stop) override;

 private:
  ShellOptions options_;
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_SHELL_H_
