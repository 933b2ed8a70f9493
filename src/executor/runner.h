// Runs executions on this node and keeps track of them: each running
// execution can be cancelled by id, and shutdown waits for the running ones
// (bounded) before cancelling what is left — Dkron's agent waits up to 3 h
// for local executions on SIGTERM (dkron-spec §4.5).
//
// Run() is synchronous: the agent calls it on a thread of its own per
// execution. An execution runs at most once at a time on a node, so a
// dispatch retried to the same node does not start the job twice. Executions
// are identified by (job name, execution id): ids are unique only within a
// job, as Dkron's ("<nanos>-<node>"), so two jobs firing at the same instant
// share one.
//
// Thread safety: safe for concurrent use. Run() calls on different threads
// run concurrently; Cancel(), Running() and Shutdown() may be called from any
// thread while they run.
#ifndef CKRON_EXECUTOR_RUNNER_H_
#define CKRON_EXECUTOR_RUNNER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/ids.h"
#include "common/status.h"
#include "executor/executor.h"
#include "executor/registry.h"

namespace ckron::executor {

struct RunnerOptions {
  // How long Shutdown() lets running executions finish on their own before
  // it cancels them. Dkron waits up to 3 h; lower means a faster restart and
  // more jobs cut short.
  absl::Duration shutdown_grace = absl::Hours(3);
  // After cancelling, how long Shutdown() waits for the executions to end
  // (the shell executor escalates to SIGKILL after its own cancel grace, so
  // this only runs out when an executor ignores cancellation).
  absl::Duration cancel_wait = absl::Seconds(30);
};

struct RunningExecution {
  ExecutionId execution_id;
  JobName job_name;
  std::string executor;
  absl::Time started = absl::UnixEpoch();
};

class Runner {
 public:
  // `registry` must outlive the Runner.
  explicit Runner(const ExecutorRegistry* registry, RunnerOptions options = {});
  // REQUIRES: no Run() in progress (call Shutdown() first if any may be).
  ~Runner();

  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs `request` with the executor named `executor` to its end on the
  // calling thread, streaming output to `sink`. A stop request on `stop`, a
  // Cancel(request.execution_id) or a Shutdown() past its grace cancels it.
  //
  // Errors (nothing ran; FailedExecution(status) gives what Dkron stores):
  //   kUnavailable       Shutdown() has begun; no new executions
  //   kNotFound          no such executor (message kExecutorNotPresent)
  //   kInvalidArgument   `executor` is empty (message kNoExecutorDefined)
  //   kAlreadyExists     this job's execution id is already running here
  //
  // `admitted`, if set, is called on this thread once the execution is
  // counted as running (a Shutdown() from then on gives it the grace) and
  // before the executor starts; it is not called when Run() fails.
  Result<ExecutionResult> Run(std::string_view executor, const ExecuteRequest& request,
                              const OutputSink& sink, std::stop_token stop = {},
                              const std::function<void()>& admitted = nullptr);

  // Asks the running execution to stop; returns at once (Run() returns when
  // the executor has stopped it). Errors: kNotFound if it is not running here.
  Status Cancel(const JobName& job, const ExecutionId& id);

  // The executions running now, in (job, execution id) order.
  std::vector<RunningExecution> Running() const;

  // Refuses new executions, waits up to shutdown_grace for the running ones
  // to finish, then cancels the rest and waits up to cancel_wait for them.
  // Returns OK when none is left; kTimeout if some still run (their threads
  // are still inside Run()). Safe to call more than once.
  Status Shutdown();

 private:
  struct Entry {
    RunningExecution info;
    std::stop_source stop;
  };

  const ExecutorRegistry* registry_;
  RunnerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable idle_;  // notified whenever an execution ends
  // Written under mu_; read without it for a cheap early refusal.
  std::atomic<bool> shutting_down_ = false;
  // Invariant: one entry per execution inside Run(), keyed by (job, id).
  std::map<std::pair<JobName, ExecutionId>, std::shared_ptr<Entry>> running_;  // GUARDED_BY(mu_)
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_RUNNER_H_
