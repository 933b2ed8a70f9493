#include "dispatcher/raft_proposer.h"

#include <utility>

#include "fsm/codec.h"
#include "replica/replicated_state.h"

namespace ckron::dispatcher {

RaftProposer::RaftProposer(rpc::LocalRaft* raft, RaftProposerOptions options)
    : raft_(raft), options_(options) {
  thread_ = std::thread([this] { RunCompletionLoop(); });
}

RaftProposer::~RaftProposer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RaftProposer::Propose(absl::Time now, fsm::Command command, Done done) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return pending_.size() < options_.max_in_flight || stop_; });
  if (stop_) {
    lock.unlock();
    done(Status::Cancelled("the proposer is shutting down"));
    return;
  }
  // Proposing under the lock keeps pending_ in proposal order; Propose only
  // enqueues to the Raft loop.
  pending_.push_back(
      {raft_->Propose(replica::EncodeCommand(now, std::move(command))), std::move(done)});
  changed_.notify_all();
}

bool RaftProposer::Leads(Term term) const {
  const raft::NodeInfo info = raft_->Info();
  return info.state == raft::State::kLeader && info.term == term;
}

void RaftProposer::RunCompletionLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return !pending_.empty() || stop_; });
    if (pending_.empty()) return;  // stop_ and drained
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    changed_.notify_all();  // room for a blocked Propose
    lock.unlock();
    Result<raft::Applied> r = p.outcome.get();
    p.done(r.ok() ? fsm::DecodeOutcome(r->result).status : r.status());
    lock.lock();
  }
}

}  // namespace ckron::dispatcher
