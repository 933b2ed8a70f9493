// A child process for multi-process tests and benchmarks: spawned with its
// stdout/stderr appended to a log file, stopped by PID (never by name), and
// always reaped -- the destructor SIGKILLs it if it is still running, and the
// kernel SIGKILLs it if the spawning thread dies first (PR_SET_PDEATHSIG), so
// a killed or timed-out test leaves nothing running.
//
// Thread safety: not thread-safe; one owner.
#ifndef CKRON_RAFT_TESTING_PROCESS_H_
#define CKRON_RAFT_TESTING_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace ckron::raft::testing {

class Process {
 public:
  Process() = default;
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv[0] (a path) with `argv`, output appended to `log`.
  static Result<Process> Spawn(const std::vector<std::string>& argv,
                               const std::filesystem::path& log);

  pid_t pid() const { return pid_; }
  // True until the process has exited and been reaped.
  bool Running();
  // Sends `sig` (no-op if it already exited).
  void Signal(int sig);
  // Waits up to `timeout` for exit; true if it exited (and was reaped).
  bool WaitExit(std::chrono::milliseconds timeout);
  // SIGKILL and reap. Idempotent.
  void Kill();
  // SIGTERM, wait up to `timeout`, then SIGKILL. True if it exited by itself.
  bool Terminate(std::chrono::milliseconds timeout);
  // The exit status as from waitpid, once reaped.
  int wait_status() const { return status_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// Last `max_bytes` of a file, for failure messages.
std::string TailFile(const std::filesystem::path& path, std::size_t max_bytes = 4000);

}  // namespace ckron::raft::testing

#endif  // CKRON_RAFT_TESTING_PROCESS_H_
