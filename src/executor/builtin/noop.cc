#include "executor/builtin/noop.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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
  }
}

NoopExecutor::~NoopExecutor() {
  if (fd_ >= 0) ::close(fd_);
}

Status NoopExecutor::Validate(const ExecutorConfig& /*config*/) const {
  return OkStatus();
}

ExecuteResponse NoopExecutor::Execute(const ExecuteRequest& request, const OutputSink& /*sink*/,
                                      std::stop_token /*stop*/) {
  if (fd_ >= 0) {
    const std::int64_t now_ns = absl::GetCurrentTimeNanos();
    const std::string line = request.job_name.value() + "\t" + request.execution_id.value() + "\t" +
                             std::to_string(now_ns) + "\n";
    // One write per line: O_APPEND keeps concurrent lines whole. A failed or
    // short write loses one benchmark sample, never the execution.
    [[maybe_unused]] const ssize_t n = ::write(fd_, line.data(), line.size());
  }
  return {};
}

}  // namespace ckron::executor
