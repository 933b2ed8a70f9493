#include "executor/builtin/noop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "absl/time/clock.h"
#include "common/log.h"

namespace ckron::executor {

NoopExecutor::NoopExecutor(const std::string& start_log) {
  if (start_log.empty()) return;
  fd_ = ::open(start_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    logging::Get("executor")
        ->warn("noop: cannot open the start log {}: {}", start_log, std::strerror(errno));
    return;
  }
  flusher_ = std::jthread([this](std::stop_token stop) { FlushLoop(stop); });
}

NoopExecutor::~NoopExecutor() {
  if (flusher_.joinable()) {
    flusher_.request_stop();
    flusher_.join();
  }
  Flush();
  if (fd_ >= 0) ::close(fd_);
}

void NoopExecutor::FlushLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mu_);
      flush_wait_.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
    }
    Flush();
  }
}

void NoopExecutor::Flush() {
  std::string lines;
  {
    std::lock_guard lock(mu_);
    lines.swap(pending_);
  }
  // A failed or short write loses benchmark samples, never an execution.
  if (fd_ < 0 || lines.empty()) return;
  [[maybe_unused]] const ssize_t n = ::write(fd_, lines.data(), lines.size());
}

Status NoopExecutor::Validate(const ExecutorConfig& /*config*/) const {
  return OkStatus();
}

ExecuteResponse NoopExecutor::Execute(const ExecuteRequest& request, const OutputSink& /*sink*/,
                                      std::stop_token /*stop*/) {
  if (fd_ >= 0) {
    const std::int64_t now_ns = absl::GetCurrentTimeNanos();
    std::lock_guard lock(mu_);
    pending_ += request.job_name.value();
    pending_ += '\t';
    pending_ += request.execution_id.value();
    pending_ += '\t';
    pending_ += std::to_string(now_ns);
    pending_ += '\n';
  }
  return {};
}

}  // namespace ckron::executor
