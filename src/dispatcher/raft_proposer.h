// Proposer over the local Raft server (rpc::LocalRaft, rpc/cluster_view.h).
// Proposals go to Raft at once (Raft batches concurrent ones into one entry);
// a completion thread waits for their outcomes in proposal order (Raft
// applies in that order) and runs each `done`.
//
// Thread safety: safe for concurrent use. `done` callbacks run on the
// completion thread, one at a time.
#ifndef CKRON_DISPATCHER_RAFT_PROPOSER_H_
#define CKRON_DISPATCHER_RAFT_PROPOSER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "dispatcher/proposer.h"
#include "raft/types.h"
#include "rpc/cluster_view.h"

namespace ckron::dispatcher {

struct RaftProposerOptions {
  // Proposals awaiting their outcome before Propose blocks its caller.
  // Larger absorbs bigger bursts; each costs a future and a callback.
  std::size_t max_in_flight = 65'536;
};

class RaftProposer final : public Proposer {
 public:
  // `raft` must outlive this object. Starts the completion thread.
  explicit RaftProposer(rpc::LocalRaft* raft, RaftProposerOptions options = {});
  // Waits for the outstanding outcomes (every Raft future completes, at
  // the latest when Raft stops), runs their callbacks, joins the thread.
  ~RaftProposer() override;

  void Propose(absl::Time now, fsm::Command command, Done done) override;
  bool Leads(Term term) const override;

 private:
  struct Pending {
    std::future<Result<raft::Applied>> outcome;
    Done done;
  };
  void RunCompletionLoop();

  rpc::LocalRaft* const raft_;
  const RaftProposerOptions options_;

  // This class behaves like a monitor: mu_ guards everything below.
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Pending> pending_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_RAFT_PROPOSER_H_
