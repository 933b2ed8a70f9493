#include "node/signals.h"

#include <signal.h>

#include "common/check.h"

namespace ckron::node {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  CKRON_CHECK(pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  CKRON_CHECK(sigaction(SIGPIPE, &ignore, nullptr) == 0);
}

void UnblockShutdownSignals() {
  const sigset_t set = ShutdownSignals();
  CKRON_CHECK(pthread_sigmask(SIG_UNBLOCK, &set, nullptr) == 0);
}

SignalThread::SignalThread(std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)), thread_([this] { RunSignalLoop(); }) {}

SignalThread::~SignalThread() {
  stopping_.store(true);
  // Wake the sigwait with a signal aimed at that thread only.
  pthread_kill(thread_.native_handle(), SIGHUP);
  thread_.join();
}

void SignalThread::RunSignalLoop() {
  const sigset_t set = ShutdownSignals();
  while (true) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    if (stopping_.load()) return;
    on_signal_(signo);
  }
}

}  // namespace ckron::node
