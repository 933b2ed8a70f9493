// One AgentRunner.RunMany call from the leader to an agent (agent_calls.h):
// many runs, each a tagged message, each its own stream to the observer.
//
// Locking: a Session's mu_ guards its state and is held while it calls the
// observer, so that a run closed by CancelStream (delivered inside Release)
// never gets another callback after its OnRunClosed. The owner's mu_ is
// never taken while a Session's is held, and gRPC is never called with the
// owner's held. A Session's lock is recursive: a write that completes at
// once may run OnWriteDone on the thread that started it, inside Flush.
// Callers of Add and Release hold a reference, so a call that ends inline
// does not delete the session under them.
#include <grpcpp/grpcpp.h>

#include <algorithm>
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

#include "common/log.h"
#include "dispatcher/agent_calls.h"
#include "fsm/codec.h"
#include "rpc/status_codec.h"

namespace ckron::dispatcher {
namespace {

// A message carries at most about this many bytes of runs (gRPC refuses
// messages over 4 MiB by default).
constexpr std::size_t kMaxBatchBytes = std::size_t{1} << 20;

Status FromClosed(const ckron::v1::RunClosed& closed) {
  const auto code = static_cast<StatusCode>(closed.code());
  if (closed.code() == 0 || code > StatusCode::kInternal) {
    return Status::Internal("the agent closed the run with an unknown code " +
                            std::to_string(closed.code()) + ": " + closed.message());
  }
  return Status(code, closed.message());
}

}  // namespace

class AgentCalls::Session final
    : public grpc::ClientBidiReactor<ckron::v1::RunBatch, ckron::v1::RunEventBatch> {
 public:
  Session(AgentCalls* owner, std::string rpc_addr)
      : owner_(owner), rpc_addr_(std::move(rpc_addr)), peer_("agent at " + rpc_addr_) {}

  // Starts the call. `self` keeps the session alive until OnDone.
  void Begin(ckron::v1::AgentRunner::Stub* stub, std::shared_ptr<Session> self) {
    self_ = std::move(self);
    stub->async()->RunMany(&context_, this);
    StartRead(&in_);
    StartCall();
  }

  // Queues a run; false if the session has ended (open another).
  bool Add(std::uint64_t id, const ckron::v1::RunRequest& request, const fsm::RunKey& key) {
    std::lock_guard lock(mu_);
    if (done_) return false;
    Open& open = open_.emplace(id, Open{.key = key, .reads_at_add = reads_}).first->second;
    if (reads_ == 0) open.request = request;  // for a fallback to Run calls
    ckron::v1::TaggedRun run;
    run.set_tag(id);
    *run.mutable_request() = request;
    pending_.push_back(std::move(run));
    return true;  // sent by Send(), or after the write in flight
  }

  // Sends what is queued unless a write is in flight (then it goes after).
  void Send() {
    std::lock_guard lock(mu_);
    Flush();
  }

  // Stops following run `id` if it is on this session: its OnRunClosed
  // (kCancelled) is delivered here and now, and the agent is told to send
  // nothing more for it. A session that has not answered anything since
  // that run was sent looks stuck: it is cancelled, so the next runs go on
  // a fresh call. False if the run is not on this session.
  // REQUIRES: the caller holds a reference to the session.
  bool Release(std::uint64_t id) {
    {
      std::lock_guard lock(mu_);
      auto it = open_.find(id);
      if (it == open_.end()) return false;
      const bool silent = it->second.reads_at_add == reads_;
      const fsm::RunKey key = it->second.key;
      open_.erase(it);
      owner_->observer_->OnRunClosed(
          key, id, Status::Cancelled("stopped waiting for " + peer_ + " to start the execution"));
      // Not written yet: it is never sent. Else the agent is told.
      auto unsent = std::find_if(pending_.begin(), pending_.end(),
                                 [id](const ckron::v1::TaggedRun& r) { return r.tag() == id; });
      if (unsent != pending_.end()) {
        pending_.erase(unsent);
        return true;
      }
      if (!silent) {
        releases_.push_back(id);
        Flush();
        return true;
      }
    }
    logging::Get("dispatcher")
        ->warn("dispatcher: {} answered nothing since run {} was sent; reconnecting", peer_, id);
    context_.TryCancel();
    return true;
  }

  void Cancel() { context_.TryCancel(); }

  std::size_t open_runs() const {
    std::lock_guard lock(mu_);
    return open_.size();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (ok) Flush();  // else the call is over: OnDone follows
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the call is over: OnDone follows
    {
      std::lock_guard lock(mu_);
      if (reads_++ == 0) {  // the agent serves RunMany: no fallback needed
        for (auto& [id, open] : open_) open.request.reset();
      }
      for (ckron::v1::TaggedRunEvent& e : *in_.mutable_events()) Deliver(e);
    }
    in_.Clear();
    StartRead(&in_);
  }

  void OnDone(const grpc::Status& status) override {
    const Status why = rpc::FromGrpc(status, peer_);
    const bool unimplemented = status.error_code() == grpc::StatusCode::UNIMPLEMENTED;
    std::vector<std::pair<std::uint64_t, Open>> fallback;
    {
      std::lock_guard lock(mu_);
      done_ = true;
      for (auto& [id, open] : open_) {
        if (unimplemented && open.request) {  // an older agent: resent as Run calls
          fallback.emplace_back(id, std::move(open));
          continue;
        }
        owner_->observer_->OnRunClosed(
            open.key, id,
            why.ok() ? Status::Unavailable(peer_ + " ended the call before the run's end") : why);
      }
      open_.clear();
      pending_.clear();
    }
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      logging::Get("dispatcher")
          ->info("dispatcher: runs call to {} ended: {}", peer_, why.ToString());
    }
    AgentCalls* owner = owner_;
    owner->SessionEnded(this, rpc_addr_, unimplemented);
    for (auto& [id, open] : fallback) owner->StartStream(id, rpc_addr_, *open.request, open.key);
    self_.reset();    // may delete this
    owner->Closed();  // last: the owner may be destroyed right after
  }

 private:
  struct Open {
    fsm::RunKey key;
    std::uint64_t reads_at_add = 0;  // reads_ when the run was queued
    // Kept until the agent first answers, in case it does not serve
    // RunMany and the run must be resent as a Run call.
    std::optional<ckron::v1::RunRequest> request;
  };

  // Writes what is queued unless a write is in flight. REQUIRES: mu_.
  void Flush() {
    if (writing_ || done_ || (pending_.empty() && releases_.empty())) return;
    out_.Clear();
    for (std::uint64_t id : releases_) out_.add_release(id);
    releases_.clear();
    std::size_t bytes = 0;
    while (!pending_.empty() && bytes < kMaxBatchBytes) {
      bytes += pending_.front().ByteSizeLong();
      *out_.add_runs() = std::move(pending_.front());
      pending_.pop_front();
    }
    writing_ = true;
    StartWrite(&out_);
  }

  // One event of the agent's. REQUIRES: mu_.
  void Deliver(ckron::v1::TaggedRunEvent& e) {
    auto it = open_.find(e.tag());
    if (it == open_.end()) return;  // released, or not ours
    const fsm::RunKey& key = it->second.key;
    RunObserver* o = owner_->observer_;
    if (e.has_closed()) {
      o->OnRunClosed(key, e.tag(), FromClosed(e.closed()));
      open_.erase(it);
      return;
    }
    const ckron::v1::RunEvent& event = e.event();
    switch (event.event_case()) {
      case ckron::v1::RunEvent::kStarted:
        o->OnRunStarted(key, absl::FromUnixNanos(event.started().started_at_ns()),
                        event.started().duplicate());
        break;
      case ckron::v1::RunEvent::kOutput:
        o->OnRunOutput(key, event.output());
        break;
      case ckron::v1::RunEvent::kFinished: {
        auto execution = fsm::DecodeExecution(event.finished().execution().SerializeAsString());
        if (execution.ok()) o->OnRunFinished(key, std::move(*execution));
        o->OnRunClosed(key, e.tag(), OkStatus());  // the tag's last event
        open_.erase(it);
        break;
      }
      case ckron::v1::RunEvent::EVENT_NOT_SET:
        break;
    }
  }

  AgentCalls* const owner_;
  const std::string rpc_addr_;
  const std::string peer_;
  grpc::ClientContext context_;
  std::shared_ptr<Session> self_;  // set in Begin, dropped in OnDone
  ckron::v1::RunEventBatch in_;    // the reading side's only

  mutable std::recursive_mutex mu_;
  bool done_ = false;                         // guarded by mu_
  bool writing_ = false;                      // guarded by mu_; out_ in flight
  std::map<std::uint64_t, Open> open_;        // guarded by mu_; runs by tag
  std::deque<ckron::v1::TaggedRun> pending_;  // guarded by mu_; not yet written
  std::vector<std::uint64_t> releases_;       // guarded by mu_; not yet written
  std::uint64_t reads_ = 0;                   // guarded by mu_; messages read
  ckron::v1::RunBatch out_;                   // guarded by mu_
};

std::shared_ptr<AgentCalls::Session> AgentCalls::SessionFor(const std::string& rpc_addr) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    auto& slot = sessions_[rpc_addr];
    if (slot) return slot;
    slot = std::make_shared<Session>(this, rpc_addr);
    session = slot;
    ++live_;
  }
  session->Begin(StubFor(rpc_addr), session);
  return session;
}

void AgentCalls::SessionEnded(Session* session, const std::string& rpc_addr, bool unimplemented) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(rpc_addr);
  if (it != sessions_.end() && it->second.get() == session) sessions_.erase(it);
  if (unimplemented && legacy_.insert(rpc_addr).second) {
    logging::Get("dispatcher")
        ->warn(
            "dispatcher: agent at {} does not serve RunMany (an older version); one call per "
            "run from now on",
            rpc_addr);
  }
}

std::size_t AgentCalls::open_sessions() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::size_t AgentCalls::open_streams() const {
  std::vector<std::shared_ptr<Session>> sessions;
  std::size_t n;
  {
    std::lock_guard lock(mu_);
    n = legacy_open_;
    for (const auto& [addr, s] : sessions_) sessions.push_back(s);
  }
  for (const auto& s : sessions) n += s->open_runs();
  return n;
}

std::uint64_t AgentCalls::Run(const std::string& rpc_addr, const ckron::v1::RunRequest& request,
                              const fsm::RunKey& key) {
  std::uint64_t id;
  bool legacy;
  {
    std::lock_guard lock(mu_);
    id = next_stream_++;
    legacy = legacy_.contains(rpc_addr);
  }
  if (legacy) {
    StartStream(id, rpc_addr, request, key);
    return id;
  }
  // A session that ended between SessionFor and Add refuses the run; the
  // next SessionFor opens a fresh one (the ended one has left the map).
  for (;;) {
    std::shared_ptr<Session> session = SessionFor(rpc_addr);
    if (session->Add(id, request, key)) return id;
    std::lock_guard lock(mu_);
    auto it = sessions_.find(rpc_addr);
    if (it != sessions_.end() && it->second == session) sessions_.erase(it);
  }
}

void AgentCalls::Flush() {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mu_);
    for (const auto& [addr, s] : sessions_) sessions.push_back(s);
  }
  for (const auto& s : sessions) s->Send();
}

void AgentCalls::CancelStream(std::uint64_t stream) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mu_);
    if (CancelRunCall(stream)) return;
    for (const auto& [addr, s] : sessions_) sessions.push_back(s);
  }
  for (const auto& s : sessions) {
    if (s->Release(stream)) return;
  }
}

void AgentCalls::CancelAllAndWait() {
  std::vector<std::shared_ptr<Session>> sessions;
  std::unique_lock lock(mu_);
  CancelRunCalls();
  for (const auto& [addr, s] : sessions_) sessions.push_back(s);
  lock.unlock();
  for (const auto& s : sessions) s->Cancel();
  sessions.clear();
  lock.lock();
  idle_.wait(lock, [&] { return live_ == 0 && cancels_ == 0; });
}

}  // namespace ckron::dispatcher
