// Test helper: runs a program with an explicit environment, captures its
// stdout and stderr, and lets a test wait for output or exit with a
// deadline (never a blind sleep). A Subprocess still running when destroyed
// is killed (SIGKILL) and reaped, so a failing test leaves nothing behind.
//
// Thread safety: one test thread uses a Subprocess; an internal reader
// thread fills the buffers under a mutex.
#ifndef CKRON_TESTS_CLI_SUBPROCESS_H_
#define CKRON_TESTS_CLI_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ckron::testing {

using Env = std::map<std::string, std::string>;
using std::chrono::milliseconds;

class Subprocess {
 public:
  // Starts `argv[0]` with `argv`, exactly `env` as its environment, in `cwd`
  // ("" = the current directory). Aborts the test process if fork fails.
  static std::unique_ptr<Subprocess> Start(const std::vector<std::string>& argv, const Env& env,
                                           const std::string& cwd = "");
  ~Subprocess();

  pid_t pid() const { return pid_; }
  std::string Stdout() const;
  std::string Stderr() const;

  // Waits until `pred(stdout, stderr)` holds; false on timeout or if the
  // process closed both streams without it holding.
  bool WaitForOutput(const std::function<bool(const std::string&, const std::string&)>& pred,
                     milliseconds timeout);
  // Waits for `needle` in stdout or stderr.
  bool WaitForText(const std::string& needle, milliseconds timeout);

  // The exit status (128 + signal if killed) once the process has exited
  // and its output is drained; nullopt on timeout.
  std::optional<int> WaitExit(milliseconds timeout);
  // True while the process has not exited (reaps it if it has).
  bool Running();
  void Signal(int signo);

 private:
  Subprocess() = default;
  void ReadLoop(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;  // guarded by mu_
  bool eof_ = false;       // guarded by mu_
};

struct RunResult {
  int exit_code = -1;  // -1: timed out (the process was killed)
  std::string out;
  std::string err;
};

// Runs to completion (or kills it after `timeout`).
RunResult Run(const std::vector<std::string>& argv, const Env& env, const std::string& cwd = "",
              milliseconds timeout = milliseconds(30000));

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

}  // namespace ckron::testing

#endif  // CKRON_TESTS_CLI_SUBPROCESS_H_
