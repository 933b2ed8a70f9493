#include "agent/run_events.h"

#include <utility>

#include "common/log.h"
#include "executor/executor.h"
#include "fsm/codec.h"

namespace ckron::agent {

using ckron::v1::RunEvent;

RunEvent StartedEvent(absl::Time started_at, bool duplicate) {
  RunEvent event;
  event.mutable_started()->set_started_at_ns(absl::ToUnixNanos(started_at));
  event.mutable_started()->set_duplicate(duplicate);
  return event;
}

RunEvent FinishedEvent(const fsm::Execution& execution) {
  RunEvent event;
  // Same message in fsm.proto; the codec is the one place that maps it.
  const bool parsed = event.mutable_finished()->mutable_execution()->ParseFromString(
      fsm::EncodeExecution(execution));
  CKRON_CHECK(parsed);
  return event;
}

RunEvent OutputEvent(std::string output) {
  RunEvent event;
  event.set_output(std::move(output));
  return event;
}

Result<RunSpec> SpecFromRequest(const ckron::v1::RunRequest& request) {
  if (request.execution_id().empty()) return Status::InvalidArgument("execution_id is empty");
  CKRON_ASSIGN_OR_RETURN(fsm::Job job, fsm::DecodeJob(request.job().SerializeAsString()));
  return RunSpec{.job = std::move(job),
                 .execution_id = request.execution_id(),
                 .group = request.group(),
                 .attempt = request.attempt() == 0 ? 1 : request.attempt(),
                 .term = request.term(),
                 .start_at = request.start_at_ns() > 0 ? absl::FromUnixNanos(request.start_at_ns())
                                                       : absl::InfinitePast()};
}

fsm::Execution RefusedExecution(const ckron::v1::RunRequest& request, const std::string& job_name,
                                const std::string& node_name, const Clock& clock,
                                const Status& why) {
  const absl::Time now = clock.Now();
  return {.id = request.execution_id(),
          .job_name = job_name,
          .started_at = now,
          .finished_at = now,
          .success = false,
          .output = executor::FailedExecution(why).output,
          .node_name = node_name,
          .group = request.group(),
          .attempt = request.attempt() == 0 ? 1 : request.attempt()};
}

}  // namespace ckron::agent
