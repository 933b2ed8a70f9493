// The `noop` executor, for benchmarks only: an execution starts, optionally
// records the instant it started, and succeeds at once with no output. The
// scheduling benchmarks (bench/scheduling) use it to measure the scheduler,
// dispatcher, Raft and agent path without forking a process per fire.
//
// Registered only when the environment variable CKRON_TEST_NOOP_EXECUTOR is
// "1" (builtins.cc), like the CKRON_TEST_RAFT_SNAPSHOT_* test hooks: a
// production node never has it. With CKRON_TEST_NOOP_EXECUTOR_LOG=<path>
// set as well, every execution appends one line
//   "<job>\t<execution id>\t<start unix nanos>\n"
// to that file with one write(2) (O_APPEND, so concurrent executions never
// interleave within a line), read at the executor's first instruction: the
// benchmarks' "executor start" instant.
//
// Config: none; every key is accepted and ignored.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_EXECUTOR_BUILTIN_NOOP_H_
#define CKRON_EXECUTOR_BUILTIN_NOOP_H_

#include <stop_token>
#include <string>

#include "executor/executor.h"

namespace ckron::executor {

// The environment variables of this test hook.
inline constexpr char kNoopExecutorEnv[] = "CKRON_TEST_NOOP_EXECUTOR";
inline constexpr char kNoopExecutorLogEnv[] = "CKRON_TEST_NOOP_EXECUTOR_LOG";

class NoopExecutor final : public Executor {
 public:
  // `start_log`: the file start instants are appended to; "" = none. A file
  // that cannot be opened is logged once and ignored.
  explicit NoopExecutor(const std::string& start_log = "");
  ~NoopExecutor() override;
  NoopExecutor(const NoopExecutor&) = delete;
  NoopExecutor& operator=(const NoopExecutor&) = delete;

  Status Validate(const ExecutorConfig& config) const override;
  ExecuteResponse Execute(const ExecuteRequest& request, const OutputSink& sink,
                          std::stop_token stop) override;

 private:
  int fd_ = -1;  // the start log, or -1; written with O_APPEND, never moved
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_NOOP_H_
