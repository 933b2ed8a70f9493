// The ckron executable. Signals are blocked before anything else runs, so
// that every thread created later inherits the mask and only the agent's
// signal thread receives SIGINT/SIGTERM/SIGHUP (node/signals.h).
#include "cli/commands.h"
#include "node/signals.h"

int main(int argc, char** argv) {
  ckron::node::BlockShutdownSignals();
  return ckron::cli::Main(argc, argv);
}
