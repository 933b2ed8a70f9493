// Child processes for integration tests: started with fork/exec, output to a
// file, killed by PID (never by name) when the handle dies, even on failure.
#ifndef CKRON_TESTS_MEMBERSHIP_PROCESS_H_
#define CKRON_TESTS_MEMBERSHIP_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace ckron::testing {

class Process {
 public:
  // Starts argv[0] with argv; stdout+stderr go to `log_path`.
  Process(std::vector<std::string> argv, std::string log_path);
  ~Process();  // SIGKILL + reap if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Kill(int sig);
  // Waits for exit up to `timeout`; returns true if it exited.
  bool Wait(std::chrono::milliseconds timeout);
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool reaped_ = false;
};

// Runs a command to completion and returns its stdout ("" on failure).
std::string RunCapture(const std::vector<std::string>& argv);

// Runs a command to completion; returns its exit status (-1 if it could not
// run or died of a signal). stdout and stderr go to `output` when given.
int RunStatus(const std::vector<std::string>& argv, std::string* output = nullptr);

// Polls `pred` every 100 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace ckron::testing

#endif  // CKRON_TESTS_MEMBERSHIP_PROCESS_H_
