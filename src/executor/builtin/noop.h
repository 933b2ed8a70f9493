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
// to that file, read at the executor's first instruction: the benchmarks'
// "executor start" instant. Lines are buffered and written by a thread of
// the executor every 100 ms (and at its destruction), one write(2) each
// (O_APPEND: several processes share the file), so a burst of starts is not
// slowed by the file's lock; a SIGKILLed process loses its last 100 ms.
//
// Config: none; every key is accepted and ignored.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_EXECUTOR_BUILTIN_NOOP_H_
#define CKRON_EXECUTOR_BUILTIN_NOOP_H_

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

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
  void FlushLoop(std::stop_token stop);
  void Flush();

  int fd_ = -1;  // the start log, or -1; written with O_APPEND, never moved
  std::mutex mu_;
  std::condition_variable_any flush_wait_;
  std::string pending_;   // guarded by mu_: lines not yet written
  std::jthread flusher_;  // last member: stopped and joined first
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_NOOP_H_
