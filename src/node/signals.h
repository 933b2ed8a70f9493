// Process signals, handled on one dedicated thread with sigwait(3) rather
// than in async handlers: SIGINT/SIGTERM ask for a graceful shutdown, SIGHUP
// for a configuration reload; SIGPIPE is ignored (a write to a closed socket
// must fail with EPIPE, not kill the process; reference/deps.md §1).
//
// Thread safety: BlockShutdownSignals must run in main() before any other
// thread exists. A SignalThread is owned by one thread (construct/destroy).
#ifndef CKRON_NODE_SIGNALS_H_
#define CKRON_NODE_SIGNALS_H_

#include <pthread.h>

#include <atomic>
#include <functional>
#include <thread>

namespace ckron::node {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (threads started
// afterwards inherit the mask, so only a SignalThread sees them) and sets
// SIGPIPE to SIG_IGN.
void BlockShutdownSignals();

// Undoes BlockShutdownSignals in the calling thread, for short-lived commands
// that run no SignalThread (so Ctrl-C interrupts them as usual). Call before
// starting any thread.
void UnblockShutdownSignals();

class SignalThread {
 public:
  // Starts the thread; it calls on_signal(signo) for each SIGINT, SIGTERM
  // and SIGHUP, on the signal thread, one at a time. on_signal must not
  // block for long.
  // REQUIRES: BlockShutdownSignals() ran before any thread was started.
  explicit SignalThread(std::function<void(int)> on_signal);
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;
  // Stops and joins the thread. A signal arriving while it stops may be
  // dropped.
  ~SignalThread();

 private:
  void RunSignalLoop();

  const std::function<void(int)> on_signal_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_SIGNALS_H_
