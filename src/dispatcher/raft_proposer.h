// Proposer over the local Raft server (rpc::LocalRaft, rpc/cluster_view.h).
// Proposals go to Raft at once (Raft batches concurrent ones into one entry),
// each with a completion callback (LocalRaft::ProposeAsync) that runs `done`
// on the raft loop thread as its entry is applied: no thread is woken per
// proposal.
//
// Thread safety: safe for concurrent use. `done` callbacks run on the raft
// loop thread (or inside Propose when Raft refuses at once), in log order.
#ifndef CKRON_DISPATCHER_RAFT_PROPOSER_H_
#define CKRON_DISPATCHER_RAFT_PROPOSER_H_

#include <condition_variable>
#include <cstddef>
#include <mutex>

#include "dispatcher/proposer.h"
#include "raft/types.h"
#include "rpc/cluster_view.h"

namespace ckron::dispatcher {

struct RaftProposerOptions {
  // Proposals awaiting their outcome before Propose blocks its caller.
  // Larger absorbs bigger bursts; each holds its command until applied.
  std::size_t max_in_flight = 65'536;
};

class RaftProposer final : public Proposer {
 public:
  // `raft` must outlive this object.
  explicit RaftProposer(rpc::LocalRaft* raft, RaftProposerOptions options = {});
  // Refuses new proposals and waits for the outstanding outcomes (every
  // Raft proposal completes, at the latest when Raft stops).
  ~RaftProposer() override;

  void Propose(absl::Time now, fsm::Command command, Done done) override;
  bool Leads(Term term) const override;

 private:
  void Completed();

  rpc::LocalRaft* const raft_;
  const RaftProposerOptions options_;

  std::mutex mu_;
  std::condition_variable room_;  // in_flight_ fell (below the bound, or to 0)
  std::size_t in_flight_ = 0;     // guarded by mu_
  bool stop_ = false;             // guarded by mu_
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_RAFT_PROPOSER_H_
