// The ckron executable. Signals are blocked before anything else runs, so
// that every thread created later inherits the mask and only the agent's
// signal thread receives SIGINT/SIGTERM/SIGHUP (node/signals.h).
//
// Debian's abseil is built with absl::Mutex deadlock detection on: every
// lock gRPC takes then updates a global lock graph (GraphCycles), which a
// profile of the agent at 250 fires/s showed among its top costs. ckron's
// own locks are std::mutex; the detection is switched off for production.
#include "absl/synchronization/mutex.h"
#include "cli/commands.h"
#include "node/signals.h"

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  ckron::node::BlockShutdownSignals();
  return ckron::cli::Main(argc, argv);
}
