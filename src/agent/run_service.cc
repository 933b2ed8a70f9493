#include "agent/run_service.h"

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "agent/run_events.h"
#include "common/log.h"
#include "rpc/status_codec.h"

namespace ckron::agent {
using ckron::v1::RunEvent;

RunService::RunService(RunTable* table, RunServiceOptions options)
    : table_(table), options_(std::move(options)) {
  CKRON_CHECK(table_ != nullptr && options_.clock != nullptr);
}

// One Run stream, owned by gRPC (deleted in OnDone). The execution's
// buffer reaches it through `link_`, which outlives it and which OnDone
// empties, so output that arrives after the stream ended finds no reactor.
class RunService::RunReactor final : public grpc::ServerWriteReactor<RunEvent> {
 public:
  RunReactor() : link_(std::make_shared<Link>()), buffer_(nullptr) { link_->reactor = this; }

  // Starts (or attaches to) the run and queues what the stream owes first.
  void Begin(RunService* service, const ckron::v1::RunRequest& request) {
    Result<RunSpec> spec = SpecFromRequest(request);
    if (!spec.ok()) {
      std::lock_guard lock(link_->mu);
      FinishOnce(rpc::ToGrpc(spec.status()));
      return;
    }
    const std::string job_name = spec->job.name;
    buffer_ = std::make_shared<StreamBuffer>(service->options_.stream);
    buffer_->SetReadyCallback([link = link_] {
      std::lock_guard lock(link->mu);
      if (link->reactor != nullptr) link->reactor->Pump();
    });
    Result<StartOutcome> start = service->table_->Start(std::move(*spec), buffer_);
    std::lock_guard lock(link_->mu);
    if (!start.ok()) {
      if (start.status().code() == StatusCode::kInvalidArgument) {
        FinishOnce(rpc::ToGrpc(start.status()));
        return;
      }
      logging::Get("agent")->warn("run {} of job {} refused: {}", request.execution_id(), job_name,
                                  start.status().ToString());
      queued_.push_back(
          FinishedEvent(RefusedExecution(request, job_name, service->options_.node_name,
                                         *service->options_.clock, start.status())));
    } else {
      queued_.push_back(StartedEvent(start->started_at, start->duplicate));
      if (start->finished) {
        queued_.push_back(FinishedEvent(*start->finished));
      } else {
        relaying_ = true;
      }
    }
    Pump();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(link_->mu);
    writing_ = false;
    if (!ok) {  // the caller is gone; the run goes on
      if (buffer_) buffer_->Close();
      FinishOnce(grpc::Status::OK);
      return;
    }
    Pump();
  }

  void OnCancel() override {
    std::lock_guard lock(link_->mu);
    if (buffer_) buffer_->Close();
    FinishOnce(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      std::lock_guard lock(link_->mu);
      link_->reactor = nullptr;
    }
    if (buffer_) buffer_->Close();
    delete this;
  }

 private:
  struct Link {
    // Recursive: a write that completes at once may run OnWriteDone on the
    // thread that started it, inside Pump.
    std::recursive_mutex mu;
    RunReactor* reactor = nullptr;  // guarded by mu; null once done
  };

  // Sends the next event unless a write is in flight. REQUIRES: link_->mu.
  void Pump() {
    if (writing_ || finish_called_) return;
    bool last = false;
    if (!queued_.empty()) {
      in_flight_ = std::move(queued_.front());
      queued_.pop_front();
      last = in_flight_.has_finished();
    } else if (relaying_) {
      std::optional<StreamBuffer::Event> event = buffer_->Next(absl::ZeroDuration());
      if (!event) return;  // nothing yet: the buffer's callback pumps again
      last = event->finished.has_value();
      in_flight_ = last ? FinishedEvent(*event->finished) : OutputEvent(std::move(event->output));
    } else {
      return;
    }
    writing_ = true;
    if (last) {
      finish_called_ = true;
      StartWriteAndFinish(&in_flight_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(&in_flight_);
    }
  }

  // REQUIRES: link_->mu.
  void FinishOnce(const grpc::Status& status) {
    if (finish_called_) return;
    finish_called_ = true;
    Finish(status);
  }

  const std::shared_ptr<Link> link_;
  std::shared_ptr<StreamBuffer> buffer_;  // set in Begin before sharing
  // Guarded by link_->mu:
  std::deque<RunEvent> queued_;  // owed before the buffer's events
  bool relaying_ = false;        // the buffer's events follow queued_
  bool writing_ = false;         // in_flight_ is being written
  bool finish_called_ = false;
  RunEvent in_flight_;
};

grpc::ServerWriteReactor<RunEvent>* RunService::Run(grpc::CallbackServerContext*,
                                                    const ckron::v1::RunRequest* request) {
  auto* reactor = new RunReactor();
  reactor->Begin(this, *request);
  return reactor;
}

grpc::ServerUnaryReactor* RunService::Cancel(grpc::CallbackServerContext* context,
                                             const ckron::v1::CancelRequest* request,
                                             ckron::v1::CancelResponse*) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(rpc::ToGrpc(table_->Cancel(request->job_name(), request->execution_id())));
  return reactor;
}

grpc::ServerUnaryReactor* RunService::ListRunning(grpc::CallbackServerContext* context,
                                                  const ckron::v1::ListRunningRequest*,
                                                  ckron::v1::ListRunningResponse* response) {
  for (const RunningInfo& r : table_->Running()) {
    auto* out = response->add_executions();
    out->set_execution_id(r.execution_id);
    out->set_job_name(r.job_name);
    out->set_group(r.group);
    out->set_attempt(r.attempt);
    out->set_started_at_ns(absl::ToUnixNanos(r.started_at));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace ckron::agent
