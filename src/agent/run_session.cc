// AgentRunner.RunMany (run.proto): many runs over one call. Each run is
// started exactly as Run starts it (RunTable::Start with a StreamBuffer of
// its own); what differs is only how its events travel: tagged, and several
// runs' events together in one message whenever they queue up while a write
// is in flight. The reactor keeps at most one write in flight and one read
// pending, and a queue of the tags whose buffers have something to send, so
// a pass over the runs never scans the idle ones.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/run_events.h"
#include "agent/run_service.h"
#include "common/log.h"

namespace ckron::agent {
namespace {

using ckron::v1::RunEvent;
using ckron::v1::TaggedRunEvent;

// A message carries at most about this many bytes of events (gRPC refuses
// messages over 4 MiB by default); output chunks are at most 64 KiB.
constexpr std::size_t kMaxBatchBytes = std::size_t{1} << 20;

TaggedRunEvent Tagged(std::uint64_t tag, RunEvent event) {
  TaggedRunEvent out;
  out.set_tag(tag);
  *out.mutable_event() = std::move(event);
  return out;
}

TaggedRunEvent Closed(std::uint64_t tag, const Status& why) {
  TaggedRunEvent out;
  out.set_tag(tag);
  out.mutable_closed()->set_code(static_cast<std::uint32_t>(why.code()));
  out.mutable_closed()->set_message(why.message());
  return out;
}

}  // namespace

// Owned by gRPC (deleted in OnDone). Runs' buffers reach it through `link_`,
// which outlives it and which OnDone empties, so output that arrives after
// the call ended finds no reactor.
class RunService::SessionReactor final
    : public grpc::ServerBidiReactor<ckron::v1::RunBatch, ckron::v1::RunEventBatch> {
 public:
  explicit SessionReactor(RunService* service)
      : service_(service), link_(std::make_shared<Link>()) {
    link_->reactor = this;
    StartRead(&incoming_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the leader closed its half: finish once the runs are relayed
      std::lock_guard lock(link_->mu);
      reads_done_ = true;
      Pump();
      return;
    }
    for (std::uint64_t tag : incoming_.release()) Release(tag);
    for (ckron::v1::TaggedRun& run : *incoming_.mutable_runs()) {
      Begin(run.tag(), run.request());
    }
    incoming_.Clear();
    std::lock_guard lock(link_->mu);
    if (finish_called_) return;
    Pump();
    StartRead(&incoming_);
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(link_->mu);
    writing_ = false;
    if (!ok) {  // the leader is gone; the runs go on
      CloseAll();
      FinishOnce(grpc::Status::OK);
      return;
    }
    Pump();
  }

  void OnCancel() override {
    std::lock_guard lock(link_->mu);
    CloseAll();
    FinishOnce(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    {
      std::lock_guard lock(link_->mu);
      link_->reactor = nullptr;
      CloseAll();
    }
    delete this;
  }

 private:
  struct Link {
    // Recursive: a write that completes at once may run OnWriteDone on the
    // thread that started it, inside Pump.
    std::recursive_mutex mu;
    SessionReactor* reactor = nullptr;  // guarded by mu; null once done
  };
  struct Run {
    std::shared_ptr<StreamBuffer> buffer;
    bool ready = false;  // queued in ready_
  };

  // Starts (or attaches to) one run and queues what its tag owes first.
  // Called on the reading thread, without the lock: Start may run the
  // buffer's callback, which takes it.
  void Begin(std::uint64_t tag, const ckron::v1::RunRequest& request) {
    Result<RunSpec> spec = SpecFromRequest(request);
    if (!spec.ok()) {
      std::lock_guard lock(link_->mu);
      queued_.push_back(Closed(tag, spec.status()));
      return;
    }
    const std::string job_name = spec->job.name;
    auto buffer = std::make_shared<StreamBuffer>(service_->options_.stream);
    buffer->SetReadyCallback([link = link_, tag] {
      std::lock_guard lock(link->mu);
      if (link->reactor != nullptr) link->reactor->MarkReady(tag);
    });
    Result<StartOutcome> start = service_->table_->Start(std::move(*spec), buffer);
    std::lock_guard lock(link_->mu);
    if (!start.ok()) {
      buffer->Close();
      if (start.status().code() == StatusCode::kInvalidArgument) {
        queued_.push_back(Closed(tag, start.status()));
        return;
      }
      logging::Get("agent")->warn("run {} of job {} refused: {}", request.execution_id(), job_name,
                                  start.status().ToString());
      queued_.push_back(Tagged(
          tag, FinishedEvent(RefusedExecution(request, job_name, service_->options_.node_name,
                                              *service_->options_.clock, start.status()))));
      return;
    }
    queued_.push_back(Tagged(tag, StartedEvent(start->started_at, start->duplicate)));
    if (start->finished) {
      buffer->Close();
      queued_.push_back(Tagged(tag, FinishedEvent(*start->finished)));
      return;
    }
    if (finish_called_) {  // the call ended meanwhile: nobody to relay to
      buffer->Close();
      return;
    }
    runs_[tag] = Run{.buffer = std::move(buffer)};
    MarkReady(tag);  // output may have come before the run was registered
  }

  // The leader no longer follows `tag`: send nothing more for it.
  void Release(std::uint64_t tag) {
    std::lock_guard lock(link_->mu);
    auto it = runs_.find(tag);
    if (it == runs_.end()) return;
    it->second.buffer->Close();
    runs_.erase(it);  // a stale entry in ready_ finds nothing
  }

  // REQUIRES: link_->mu.
  void MarkReady(std::uint64_t tag) {
    auto it = runs_.find(tag);
    if (it == runs_.end() || it->second.ready) return;
    it->second.ready = true;
    ready_.push_back(tag);
    Pump();
  }

  // Sends what is owed unless a write is in flight: the queued events first,
  // then one event per ready run per pass, up to kMaxBatchBytes.
  // REQUIRES: link_->mu.
  void Pump() {
    if (writing_ || finish_called_) return;
    out_.Clear();
    std::size_t bytes = 0;
    while (!queued_.empty() && bytes < kMaxBatchBytes) {
      bytes += queued_.front().ByteSizeLong();
      *out_.add_events() = std::move(queued_.front());
      queued_.pop_front();
    }
    // Each ready run yields one event per pass; one that yielded goes to
    // the back, so a chatty run cannot starve the others.
    while (!ready_.empty() && bytes < kMaxBatchBytes) {
      const std::uint64_t tag = ready_.front();
      ready_.pop_front();
      auto it = runs_.find(tag);
      if (it == runs_.end()) continue;
      std::optional<StreamBuffer::Event> event = it->second.buffer->Next(absl::ZeroDuration());
      if (!event) {
        it->second.ready = false;  // its callback queues it again
        continue;
      }
      if (event->finished) {
        bytes += event->finished->output.size() + 64;
        *out_.add_events() = Tagged(tag, FinishedEvent(*event->finished));
        runs_.erase(it);  // the tag's last event
        continue;
      }
      bytes += event->output.size() + 16;
      *out_.add_events() = Tagged(tag, OutputEvent(std::move(event->output)));
      ready_.push_back(tag);  // it may have more
    }
    if (out_.events_size() == 0) {
      if (reads_done_ && runs_.empty() && queued_.empty()) FinishOnce(grpc::Status::OK);
      return;
    }
    writing_ = true;
    StartWrite(&out_);
  }

  // REQUIRES: link_->mu.
  void CloseAll() {
    for (auto& [tag, run] : runs_) run.buffer->Close();
    runs_.clear();
    ready_.clear();
  }

  // REQUIRES: link_->mu.
  void FinishOnce(const grpc::Status& status) {
    if (finish_called_) return;
    finish_called_ = true;
    Finish(status);
  }

  RunService* const service_;
  const std::shared_ptr<Link> link_;
  ckron::v1::RunBatch incoming_;  // the reading side's only
  // Guarded by link_->mu:
  std::map<std::uint64_t, Run> runs_;  // relayed runs by tag
  std::deque<std::uint64_t> ready_;    // tags whose buffers have events
  std::deque<TaggedRunEvent> queued_;  // owed before any buffer's events
  bool writing_ = false;               // out_ is being written
  bool reads_done_ = false;            // the leader sends no more runs
  bool finish_called_ = false;
  ckron::v1::RunEventBatch out_;
};

grpc::ServerBidiReactor<ckron::v1::RunBatch, ckron::v1::RunEventBatch>* RunService::RunMany(
    grpc::CallbackServerContext*) {
  return new SessionReactor(this);
}

}  // namespace ckron::agent
