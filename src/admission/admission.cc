#include "admission/admission.h"

#include <string>

#include "fsm/apply.h"

namespace ckron::admission {
namespace {

Status Invalid(std::string message) {
  return Status::InvalidArgument(std::move(message));
}

// executor_config: the executor's message, with the key to blame when
// there is one: the first key (in map order) without which the config is
// accepted. ("Without which the error changes" would blame `url` for
// "method is empty": removing url makes it "url is empty".)
Status CheckExecutorConfig(const fsm::Job& job, const executor::ExecutorRegistry& executors) {
  const Status status = executors.Validate(job.executor, job.executor_config);
  if (status.ok()) return status;
  for (const auto& [key, value] : job.executor_config) {
    executor::ExecutorConfig without = job.executor_config;
    without.erase(key);
    if (executors.Validate(job.executor, without).ok()) {
      return Invalid("executor_config." + key + ": " + status.message());
    }
  }
  return Invalid("executor_config: " + status.message());
}

Status CheckProcessors(const fsm::Job& job, const processor::ProcessorRegistry& processors) {
  for (const auto& [name, config] : job.processors) {
    const Status status = processors.Validate(name, config);
    if (!status.ok()) return Invalid("processors." + name + "." + status.message());
  }
  return OkStatus();
}

}  // namespace

Status ValidateJobForWrite(const fsm::Job& job, const executor::ExecutorRegistry& executors,
                           const processor::ProcessorRegistry& processors) {
  if (Status s = fsm::ValidateJob(job); !s.ok()) return Invalid(s.message());
  if (job.retry_backoff && *job.retry_backoff < absl::ZeroDuration()) {
    return Invalid("retry_backoff: must not be negative");
  }
  CKRON_RETURN_IF_ERROR(CheckExecutorConfig(job, executors));
  return CheckProcessors(job, processors);
}

}  // namespace ckron::admission
