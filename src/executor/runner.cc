#include "executor/runner.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "common/check.h"
#include "common/log.h"

namespace ckron::executor {

Runner::Runner(const ExecutorRegistry* registry, RunnerOptions options)
    : registry_(registry), options_(options) {
  CKRON_CHECK(registry_ != nullptr);
}

Runner::~Runner() {
  std::lock_guard lock(mu_);
  CKRON_CHECK_MSG(running_.empty(), "Runner destroyed while executions run");
}

Result<ExecutionResult> Runner::Run(std::string_view executor, const ExecuteRequest& request,
                                    const OutputSink& sink, std::stop_token stop,
                                    const std::function<void()>& admitted) {
  if (shutting_down_) return Status::Unavailable("node is shutting down: no new executions");
  CKRON_ASSIGN_OR_RETURN(std::shared_ptr<Executor> impl, registry_->Find(executor));
  auto entry = std::make_shared<Entry>();
  entry->info = {request.execution_id, request.job_name, std::string(executor), absl::Now()};
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return Status::Unavailable("node is shutting down: no new executions");
    if (!running_.try_emplace({request.job_name, request.execution_id}, entry).second) {
      return Status::AlreadyExists("execution " + request.execution_id.value() + " of job " +
                                   request.job_name.value() + " is already running on this node");
    }
  }
  if (admitted) admitted();
  ExecuteResponse response;
  {
    // The caller's stop request cancels too.
    std::stop_callback forward(stop, [&entry] { entry->stop.request_stop(); });
    response = impl->Execute(request, sink, entry->stop.get_token());
  }
  {
    std::lock_guard lock(mu_);
    running_.erase({request.job_name, request.execution_id});
  }
  idle_.notify_all();
  return FinishExecution(std::move(response));
}

Status Runner::Cancel(const JobName& job, const ExecutionId& id) {
  std::lock_guard lock(mu_);
  auto it = running_.find({job, id});
  if (it == running_.end()) {
    return Status::NotFound("execution " + id.value() + " of job " + job.value() +
                            " is not running on this node");
  }
  // Stop callbacks only wake the executor's loop; they take no locks.
  it->second->stop.request_stop();
  return OkStatus();
}

std::vector<RunningExecution> Runner::Running() const {
  std::lock_guard lock(mu_);
  std::vector<RunningExecution> out;
  out.reserve(running_.size());
  for (const auto& [id, entry] : running_) out.push_back(entry->info);
  return out;
}

Status Runner::Shutdown() {
  const auto to_chrono = [](absl::Duration d) {  // capped: "infinite" must not overflow
    return std::chrono::steady_clock::now() +
           absl::ToChronoNanoseconds(std::min(d, absl::Hours(24 * 365 * 100)));
  };
  std::unique_lock lock(mu_);
  shutting_down_ = true;
  if (!running_.empty()) {
    logging::Get("executor")
        ->info("shutdown: waiting up to {} for {} running execution(s)",
               absl::FormatDuration(options_.shutdown_grace), running_.size());
  }
  if (idle_.wait_until(lock, to_chrono(options_.shutdown_grace),
                       [this] { return running_.empty(); })) {
    return OkStatus();
  }
  logging::Get("executor")
      ->warn("shutdown: cancelling {} execution(s) still running", running_.size());
  for (auto& [id, entry] : running_) entry->stop.request_stop();
  if (idle_.wait_until(lock, to_chrono(options_.cancel_wait),
                       [this] { return running_.empty(); })) {
    return OkStatus();
  }
  return Status::Timeout(std::to_string(running_.size()) +
                         " execution(s) still running after cancellation");
}

}  // namespace ckron::executor
