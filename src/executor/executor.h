// The "do the work" side of an execution (dkron-spec §5.1, §6): one
// interface for every executor — the built-in `shell` and `http`, and later
// out-of-process plugins — so the agent runs them all the same way.
//
// An execution is one synchronous call, Execute(), on a thread the caller
// owns (the agent runs one per execution; executions are independent and
// run concurrently). While it runs, the executor streams output chunks to an
// OutputSink as they are produced, and watches a std::stop_token: a stop
// request cancels the execution, which then ends promptly (how promptly is
// each executor's contract). The call returns an ExecuteResponse — Dkron's
// ExecuteResponse{output, error} plus the exit code — which
// FinishExecution() turns into what is stored: success, and the output with
// the error text in front, bounded to the last 256,000 bytes.
//
// Thread safety: Executor implementations are safe for concurrent use;
// Execute() may run on many threads at once.
#ifndef CKRON_EXECUTOR_EXECUTOR_H_
#define CKRON_EXECUTOR_EXECUTOR_H_

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/status.h"

namespace ckron::executor {

// The most output an execution keeps: the last 256,000 bytes, as Dkron's
// circbuf (dkron-spec §4.1 step 5, §5.1).
inline constexpr std::size_t kMaxOutputBytes = 256000;

// A job's `executor_config`: every value is a string (dkron-spec §5.1).
using ExecutorConfig = std::map<std::string, std::string>;

struct ExecuteRequest {
  JobName job_name;          // shell exports it as ENV_JOB_NAME
  ExecutionId execution_id;  // unique per attempt; Runner keys running executions by it
  ExecutorConfig config;     // the job's executor_config
};

// Receives output as it is produced (Dkron's StatusHelper.Update).
//
// Called on the thread that called Execute(), chunks in the order the
// output was produced, never concurrently for one execution (different
// executions call their sinks concurrently). A chunk is only valid during
// the call: copy what you keep. It must not block long: while it runs the
// executor reads no output (a child writing more blocks on a full pipe) and
// does not act on timeouts or cancellation. An empty function is allowed
// (nothing is streamed).
using OutputSink = std::function<void(std::string_view chunk)>;

// What an executor returns (Dkron's ExecuteResponse).
struct ExecuteResponse {
  // The executor's own output: at most kMaxOutputBytes, the newest bytes.
  std::string output;
  // Empty on success; otherwise why the execution failed, e.g.
  // "exit status 1" or "url is empty".
  std::string error;
  // The process's exit status when it exited normally (shell); unset when it
  // was killed by a signal, never started, or the executor has no processes.
  std::optional<int> exit_code;
};

// What is stored for an execution (Dkron's Execution.success/output).
struct ExecutionResult {
  bool success = false;
  std::optional<int> exit_code;
  // "<error>\n<output>" on failure (as Dkron's agent writes it), the output
  // alone on success; at most kMaxOutputBytes. Unlike Dkron, a long output
  // never pushes the error text out: the output's oldest bytes go first.
  std::string output;
};

// Combines an executor's response into the stored result.
ExecutionResult FinishExecution(ExecuteResponse response);

// The stored result of an execution that never reached an executor: success
// false, output = the status message (e.g. Dkron's "grpc_agent: Specified
// executor is not present"). REQUIRES: !status.ok().
ExecutionResult FailedExecution(const Status& status);

class Executor {
 public:
  virtual ~Executor() = default;

  // Checks a job's executor_config before the job is stored, so the API can
  // refuse it up front. Returns kInvalidArgument with Dkron's message
  // (e.g. "Error parsing job timeout value", "url is empty"); OK otherwise.
  // Accepts everything Dkron accepts: problems Dkron only reports when the
  // job runs are still reported then, by Execute().
  virtual Status Validate(const ExecutorConfig& config) const = 0;

  // Runs one execution to its end on the calling thread. Never throws and
  // never fails as a call: every outcome, including a bad config, is in the
  // response. Streams output to `sink` (see OutputSink). A stop request on
  // `stop` cancels the execution: the response then has a non-empty error.
  virtual ExecuteResponse Execute(const ExecuteRequest& request, const OutputSink& sink,
                                  std::stop_token stop) = 0;
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_EXECUTOR_H_
