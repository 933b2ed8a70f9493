#include "dispatcher/agent_calls.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "common/log.h"
#include "fsm/codec.h"
#include "rpc/cluster_client.h"
#include "rpc/status_codec.h"

namespace ckron::dispatcher {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("dispatcher");
}

}  // namespace

// One AgentRunner.Run call, for an agent without RunMany. Owns itself: deleted after OnDone.
class AgentCalls::Stream final : public grpc::ClientReadReactor<ckron::v1::RunEvent> {
 public:
  Stream(AgentCalls* owner, std::uint64_t id, fsm::RunKey key, std::string peer)
      : owner_(owner), id_(id), key_(std::move(key)), peer_(std::move(peer)) {}

  void Begin(ckron::v1::AgentRunner::Stub* stub, const ckron::v1::RunRequest& request) {
    request_ = request;
    stub->async()->Run(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    RunObserver* o = owner_->observer_;
    switch (event_.event_case()) {
      case ckron::v1::RunEvent::kStarted:
        o->OnRunStarted(key_, absl::FromUnixNanos(event_.started().started_at_ns()),
                        event_.started().duplicate());
        break;
      case ckron::v1::RunEvent::kOutput:
        o->OnRunOutput(key_, event_.output());
        break;
      case ckron::v1::RunEvent::kFinished: {
        auto e = fsm::DecodeExecution(event_.finished().execution().SerializeAsString());
        if (e.ok()) o->OnRunFinished(key_, std::move(*e));
        break;
      }
      case ckron::v1::RunEvent::EVENT_NOT_SET:
        break;
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    AgentCalls* owner = owner_;
    const std::uint64_t id = id_;
    owner->observer_->OnRunClosed(key_, id, rpc::FromGrpc(status, peer_));
    owner->Detach(id);  // no Cancel() reaches this stream any more
    delete this;
    owner->Closed();  // last: the owner may be destroyed right after
  }

 private:
  AgentCalls* const owner_;
  const std::uint64_t id_;
  const fsm::RunKey key_;
  const std::string peer_;
  grpc::ClientContext context_;
  ckron::v1::RunRequest request_;
  ckron::v1::RunEvent event_;
};

AgentCalls::AgentCalls(RunObserver* observer) : observer_(observer) {}

AgentCalls::~AgentCalls() {
  CancelAllAndWait();
}

// Stubs (and their channels) live as long as the process: with gRPC 1.51
// the callback API's shared completion queue is torn down when the last
// channel that used it is destroyed, and that teardown races with callbacks
// still returning on its threads (grpc/grpc#32584; seen here as an abort in
// grpc_cq_internal_unref). Agents' addresses are few, so keeping one
// channel per address for good is cheap, and reconnects are the channel's.
ckron::v1::AgentRunner::Stub* AgentCalls::StubFor(const std::string& rpc_addr) {
  static auto* mu = new std::mutex;
  static auto* stubs = new std::map<std::string, std::unique_ptr<ckron::v1::AgentRunner::Stub>>;
  std::lock_guard lock(*mu);
  auto& stub = (*stubs)[rpc_addr];
  if (!stub) stub = ckron::v1::AgentRunner::NewStub(rpc::NewChannel(rpc_addr));
  return stub.get();
}

void AgentCalls::StartStream(std::uint64_t id, const std::string& rpc_addr,
                             const ckron::v1::RunRequest& request, const fsm::RunKey& key) {
  ckron::v1::AgentRunner::Stub* stub = StubFor(rpc_addr);
  Stream* s;
  {
    std::lock_guard lock(mu_);
    s = new Stream(this, id, key, "agent " + key.node_name + " at " + rpc_addr);
    streams_[id] = s;
    ++live_;
    ++legacy_open_;
  }
  s->Begin(stub, request);
}

bool AgentCalls::CancelRunCall(std::uint64_t stream) {
  // Under mu_: Detach() erases the entry under mu_ before the Stream is
  // deleted, so the pointer is valid here.
  auto it = streams_.find(stream);
  if (it == streams_.end()) return false;
  it->second->Cancel();
  return true;
}

void AgentCalls::CancelRunCalls() {
  for (auto& [id, s] : streams_) s->Cancel();
}

void AgentCalls::Detach(std::uint64_t stream) {
  std::lock_guard lock(mu_);
  streams_.erase(stream);
  --legacy_open_;
}

void AgentCalls::Closed() {
  std::lock_guard lock(mu_);
  --live_;
  if (live_ == 0 && cancels_ == 0) idle_.notify_all();
}

void AgentCalls::CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                                 const std::string& execution_id, absl::Duration timeout) {
  struct Call {
    grpc::ClientContext context;
    ckron::v1::CancelRequest request;
    ckron::v1::CancelResponse response;
  };
  ckron::v1::AgentRunner::Stub* stub = StubFor(rpc_addr);
  auto* call = new Call;
  call->request.set_execution_id(execution_id);
  call->request.set_job_name(job_name);
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  {
    std::lock_guard lock(mu_);
    ++cancels_;
  }
  stub->async()->Cancel(&call->context, &call->request, &call->response,
                        [this, call, rpc_addr, execution_id](grpc::Status s) {
                          Status st = rpc::FromGrpc(s, "agent at " + rpc_addr);
                          if (!st.ok() && st.code() != StatusCode::kNotFound) {
                            Log()->warn("dispatcher: could not cancel execution {} at {}: {}",
                                        execution_id, rpc_addr, st.ToString());
                          }
                          delete call;
                          CancelDone();
                        });
}

void AgentCalls::CancelDone() {
  std::lock_guard lock(mu_);
  --cancels_;
  if (live_ == 0 && cancels_ == 0) idle_.notify_all();
}

}  // namespace ckron::dispatcher
