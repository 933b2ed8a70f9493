#include "agent/run_service.h"

#include <memory>
#include <utility>

#include "common/log.h"
#include "executor/executor.h"
#include "fsm/codec.h"
#include "rpc/status_codec.h"

namespace ckron::agent {
namespace {

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
                 .term = request.term()};
}

}  // namespace

fsm::Execution RunService::RefusedExecution(const ckron::v1::RunRequest& request,
                                            const std::string& job_name, const Status& why) const {
  const absl::Time now = options_.clock->Now();
  return {.id = request.execution_id(),
          .job_name = job_name,
          .started_at = now,
          .finished_at = now,
          .success = false,
          .output = executor::FailedExecution(why).output,
          .node_name = options_.node_name,
          .group = request.group(),
          .attempt = request.attempt() == 0 ? 1 : request.attempt()};
}

RunService::RunService(RunTable* table, RunServiceOptions options)
    : table_(table), options_(std::move(options)) {
  CKRON_CHECK(table_ != nullptr && options_.clock != nullptr);
}

grpc::Status RunService::Run(grpc::ServerContext* context, const ckron::v1::RunRequest* request,
                             grpc::ServerWriter<RunEvent>* writer) {
  Result<RunSpec> spec = SpecFromRequest(*request);
  if (!spec.ok()) return rpc::ToGrpc(spec.status());
  const std::string job_name = spec->job.name;
  auto buffer = std::make_shared<StreamBuffer>(options_.stream);
  Result<StartOutcome> start = table_->Start(std::move(*spec), buffer);
  if (!start.ok()) {
    if (start.status().code() == StatusCode::kInvalidArgument) return rpc::ToGrpc(start.status());
    logging::Get("agent")->warn("run {} of job {} refused: {}", request->execution_id(), job_name,
                                start.status().ToString());
    writer->Write(FinishedEvent(RefusedExecution(*request, job_name, start.status())));
    return grpc::Status::OK;
  }
  if (!writer->Write(StartedEvent(start->started_at, start->duplicate))) {
    buffer->Close();
    return grpc::Status::OK;  // the caller is gone; the run goes on
  }
  if (start->finished) {
    writer->Write(FinishedEvent(*start->finished));
    return grpc::Status::OK;
  }
  while (true) {
    if (context->IsCancelled()) {
      buffer->Close();
      return grpc::Status::CANCELLED;
    }
    std::optional<StreamBuffer::Event> event = buffer->Next(options_.cancel_poll);
    if (!event) continue;
    const bool last = event->finished.has_value();
    if (!writer->Write(last ? FinishedEvent(*event->finished)
                            : OutputEvent(std::move(event->output)))) {
      buffer->Close();
      return grpc::Status::OK;
    }
    if (last) return grpc::Status::OK;
  }
}

grpc::Status RunService::Cancel(grpc::ServerContext*, const ckron::v1::CancelRequest* request,
                                ckron::v1::CancelResponse*) {
  return rpc::ToGrpc(table_->Cancel(request->job_name(), request->execution_id()));
}

grpc::Status RunService::ListRunning(grpc::ServerContext*, const ckron::v1::ListRunningRequest*,
                                     ckron::v1::ListRunningResponse* response) {
  for (const RunningInfo& r : table_->Running()) {
    auto* out = response->add_executions();
    out->set_execution_id(r.execution_id);
    out->set_job_name(r.job_name);
    out->set_group(r.group);
    out->set_attempt(r.attempt);
    out->set_started_at_ns(absl::ToUnixNanos(r.started_at));
  }
  return grpc::Status::OK;
}

}  // namespace ckron::agent
