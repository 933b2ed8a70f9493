#include "dispatcher/raft_proposer.h"

#include <utility>

#include "fsm/codec.h"
#include "replica/replicated_state.h"

namespace ckron::dispatcher {

RaftProposer::RaftProposer(rpc::LocalRaft* raft, RaftProposerOptions options)
    : raft_(raft), options_(options) {}

RaftProposer::~RaftProposer() {
  std::unique_lock lock(mu_);
  stop_ = true;
  room_.notify_all();  // a Propose blocked on the bound refuses
  room_.wait(lock, [&] { return in_flight_ == 0; });
}

void RaftProposer::Propose(absl::Time now, fsm::Command command, Done done) {
  {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return in_flight_ < options_.max_in_flight || stop_; });
    if (stop_) {
      lock.unlock();
      done(Status::Cancelled("the proposer is shutting down"));
      return;
    }
    ++in_flight_;
  }
  raft_->ProposeAsync(replica::EncodeCommand(now, std::move(command)),
                      [this, done = std::move(done)](Result<raft::Applied> r) {
                        done(r.ok() ? replica::OutcomeOf(*r).status : r.status());
                        Completed();
                      });
}

// Notifies under the lock: once in_flight_ reaches 0 the destructor may
// return, and this must not touch the object after that.
void RaftProposer::Completed() {
  std::lock_guard lock(mu_);
  const bool was_full = in_flight_-- == options_.max_in_flight;
  if (was_full || in_flight_ == 0) room_.notify_all();
}

bool RaftProposer::Leads(Term term) const {
  const raft::NodeInfo info = raft_->Info();
  return info.state == raft::State::kLeader && info.term == term;
}

}  // namespace ckron::dispatcher
