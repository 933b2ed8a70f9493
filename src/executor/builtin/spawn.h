// Starting a job's process for the shell executor: fork + exec through a
// small per-job reaper process.
//
//   agent ──fork──> reaper (child subreaper) ──fork──> job ──exec──> command
//
// Why fork rather than posix_spawn: `su` needs setgroups/setgid/setuid in
// the child and posix_spawn cannot express them, and one code path is
// easier to trust than two. Why the reaper: it is a child subreaper
// (PR_SET_CHILD_SUBREAPER), so everything the job starts stays below it
// even when orphaned — double-forked or setsid'd processes included. It
// waits for the job, reports its wait status, and then reaps every
// descendant it inherits, so no zombie is left even under a PID 1 that
// reaps nothing (a container). The reaper is the agent's fork and never
// execs: between fork and exit it makes only async-signal-safe system calls
// (no allocation, no locks), which is what POSIX allows after a fork in a
// multi-threaded process; it uses _Fork() so no atfork handler runs.
//
// The job runs in a new session (setsid), so its process group — its pid —
// holds it and whatever it starts that does not leave the group; signal
// dispositions and the signal mask are reset to defaults (the agent ignores
// SIGPIPE and blocks shutdown signals); it inherits no descriptor but
// stdin (a pipe fed with the payload) and stdout+stderr (one pipe, so the
// two streams interleave exactly as written).
//
// Thread safety: Spawn() may be called from many threads at once; a
// SpawnedJob is owned by one thread.
#ifndef CKRON_EXECUTOR_BUILTIN_SPAWN_H_
#define CKRON_EXECUTOR_BUILTIN_SPAWN_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "executor/builtin/shell_config.h"

namespace ckron::executor {

// An owned file descriptor; closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

struct SpawnSpec {
  std::string path;                  // executable, absolute or relative to `cwd`
  std::vector<std::string> argv;     // argv[0] included
  std::vector<std::string> env;      // "K=V" entries, the job's whole environment
  std::string cwd;                   // empty: inherit
  std::optional<Credentials> creds;  // switch to these ids (REQUIRES: root, or the same ids)
  // After the job exits, SIGKILL what is left of its process group and reap
  // every descendant before reporting the end (the reaper's wait).
  bool kill_leftovers = true;
};

// Messages from the reaper and the job, on the report pipe.
struct SpawnReport {
  enum Kind : std::int32_t { kStarted = 1, kFailed = 2, kExited = 3 };
  std::int32_t kind = 0;
  std::int32_t value = 0;  // kStarted: job pid; kFailed: SpawnStage; kExited: wait status
  std::int32_t error = 0;  // kFailed: errno
  std::int32_t unused = 0;
};

// Where a job failed to start.
enum SpawnStage : std::int32_t {
  kStageFork = 1,
  kStageSetgroups,
  kStageSetgid,
  kStageSetuid,
  kStageChdir,
  kStageExec,
};

// A started job. The reaper is this process's child; the job is the
// reaper's. Destroying a SpawnedJob without Wait() kills and reaps.
class SpawnedJob {
 public:
  SpawnedJob() = default;
  SpawnedJob(SpawnedJob&&) noexcept;
  SpawnedJob& operator=(SpawnedJob&&) = delete;
  ~SpawnedJob();

  pid_t reaper_pid() const { return reaper_; }
  pid_t job_pid() const { return job_; }
  // The read end of the job's stdout+stderr (non-blocking).
  UniqueFd& output() { return output_; }
  // The write end of the job's stdin (non-blocking); close it for EOF.
  UniqueFd& input() { return input_; }
  // Reports after kStarted (non-blocking): kFailed then kExited, or kExited.
  // EOF once the reaper has exited.
  UniqueFd& reports() { return reports_; }

  // Sends `sig` to the job's process group and to every descendant of the
  // reaper (processes that left the group included). Best effort: see
  // proc_tree.h. REQUIRES: no kExited report yet (the job's pid, which
  // names the group, is not reaped, so it cannot have been reused).
  void SignalAll(int sig) const;
  // Sends `sig` to every descendant of the reaper (safe at any time).
  void SignalDescendants(int sig) const;

  // Reaps the reaper. REQUIRES: reports() has reached EOF (it has exited).
  void ReapReaper();

 private:
  friend Result<SpawnedJob> Spawn(const SpawnSpec& spec);
  pid_t reaper_ = -1;  // Invariant: > 0 until reaped
  pid_t job_ = -1;
  UniqueFd output_, input_, reports_;
};

// Starts the job. Fails (kUnavailable) only if the reaper cannot be
// started (pipes, fork); a job that fails to start — exec, chdir, su —
// arrives as a kFailed report, because that happens in the job process.
Result<SpawnedJob> Spawn(const SpawnSpec& spec);

// Go-style text for a kFailed report: "fork/exec /bin/x: permission
// denied", "chdir /nope: no such file or directory", ...
std::string SpawnFailureText(const SpawnSpec& spec, std::int32_t stage, std::int32_t error);

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_SPAWN_H_
