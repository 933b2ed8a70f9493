// The bounded hand-off from any thread to the raft loop thread: proposals
// (bounded) and control tasks (barrier, membership changes; unbounded but
// rare). Producers never block.
//
// Thread safety: safe for concurrent use. Push/Post from any thread; Take* and
// Release only from the consumer (the loop thread).
#ifndef CKRON_RAFT_INBOUND_QUEUE_H_
#define CKRON_RAFT_INBOUND_QUEUE_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>

#include "common/status.h"
#include "raft/types.h"

namespace ckron::raft::internal {

// What a proposal's submitter is told, exactly once (Node::ProposeAsync).
using ProposalDone = std::function<void(Result<Applied>)>;

struct Proposal {
  std::string command;
  ProposalDone done;  // never empty once pushed
  // Completes the proposal (calls `done` once; later calls do nothing).
  void Complete(Result<Applied> result) {
    if (!done) return;
    ProposalDone d = std::move(done);
    done = nullptr;
    d(std::move(result));
  }
};

class InboundQueue {
 public:
  // `wake` is called (under the queue's lock, so it must be cheap and must not
  // re-enter the queue) after every successful Push/Post until Close.
  InboundQueue(std::size_t capacity, std::function<void()> wake);

  // Queues a proposal. On error `p` is left untouched (the caller completes
  // it): kResourceExhausted if `capacity` proposals are outstanding
  // (pushed and not yet Released), kCancelled after Close.
  Status Push(Proposal& p);

  // Queues a task to run on the loop thread. False (task dropped) after Close.
  bool Post(std::function<void()> task);

  // Moves every queued proposal to the back of *out (they stay outstanding
  // until Release) and returns how many.
  std::size_t TakeProposals(std::deque<Proposal>* out);
  // Moves every queued task to the back of *out.
  void TakeTasks(std::deque<std::function<void()>>* out);

  // `n` taken proposals have left the consumer (appended to the log or
  // failed): they stop counting against the capacity.
  void Release(std::size_t n);

  // Rejects every later Push/Post and stops calling `wake`. Idempotent.
  // Reopen undoes it (for a Node started again after Stop).
  void Close();
  void Reopen();

  std::size_t outstanding() const;

 private:
  const std::size_t capacity_;
  const std::function<void()> wake_;
  mutable std::mutex mu_;
  // mu_ guards everything below.
  bool closed_ = true;
  std::size_t outstanding_ = 0;  // Invariant: >= proposals_.size()
  std::deque<Proposal> proposals_;
  std::deque<std::function<void()>> tasks_;
};

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_INBOUND_QUEUE_H_
