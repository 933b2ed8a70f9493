// Group commit across the follower -> leader hop: concurrent proposals that
// a server forwards to the leader are coalesced into one call carrying
// several commands (Cluster.ProposeBatch), so 64 writers cost a few round
// trips and gRPC wake-ups instead of 64. The leader proposes the commands of
// a call together, and its Raft packs them into one log entry
// (raft/engine.h), so they also share one append and fsync.
//
// How a batch forms (no timer, no added latency): each caller queues its
// command and returns; while fewer than max_inflight_batches calls are out,
// the oldest queued commands for the front command's address (up to
// max_batch_commands commands and max_batch_bytes bytes, at least one) are
// sent in one call, on the thread that queued them or on the thread that
// completed the previous call. Commands that arrive while the calls are out
// queue up and leave in the next batch. So a lone writer sends at once, and
// under load batches grow with the round trip. No thread waits for a call:
// SendBatch is asynchronous (gRPC's callback API in production).
//
// Outcomes, per caller (each caller gets exactly its own command's result,
// exactly once):
//   the command's own result from SendBatch (OK or its error), or
//   the whole call's error when SendBatch fails as a whole, or
//   kOutcomeUnknown  the call answered with a different number of results
//                    (the leader may have applied any of them),
//   kUnavailable     the caller's deadline passed before its command was
//                    sent: nothing happened.
// A sent command's outcome comes when its call completes, which SendBatch
// bounds by the latest deadline of the batch's commands; callers needing
// their own, earlier bound keep a timer (LeaderClient does).
// Ordering: commands of a batch are sent in queue order; a caller that waits
// for each outcome before proposing again has its commands reach the leader
// in order.
//
// Thread safety: safe for concurrent use. `done` callbacks run on the thread
// that completes the call (a gRPC callback thread), or on the caller's
// thread before ProposeAsync returns when the deadline has already passed;
// they must not block.
#ifndef CKRON_RPC_PROPOSAL_BATCHER_H_
#define CKRON_RPC_PROPOSAL_BATCHER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "raft/types.h"

namespace ckron::rpc {

struct ProposalBatcherOptions {
  // Most commands in one call. Larger batches amortise more per call but
  // hold the first caller until the whole batch is applied.
  std::size_t max_batch_commands = 256;
  // Most command bytes in one call (a single larger command still goes, in
  // a call of its own). Keep well under gRPC's 4 MiB message limit.
  std::size_t max_batch_bytes = 1 << 20;
  // Calls out at once. 1 serialises round trips; more overlaps them (the
  // leader's Raft batches across calls too) at the cost of smaller batches.
  int max_inflight_batches = 2;
};

class ProposalBatcher {
 public:
  // One result per command, in order, or one Status for the whole call
  // (every command of the batch then gets it).
  using BatchResult = Result<std::vector<Result<raft::Applied>>>;
  // Sends `commands` to the server at `address` in one call and calls
  // `done` exactly once with its result, from any thread, possibly before
  // returning. Must not block. Called without the batcher's lock held.
  // `deadline` is the latest deadline of the batch's callers.
  using SendBatch =
      std::function<void(const std::string& address, std::vector<std::string> commands,
                         absl::Time deadline, std::function<void(BatchResult)> done)>;
  // What a caller is told, once.
  using Done = std::function<void(Result<raft::Applied>)>;

  explicit ProposalBatcher(SendBatch send, ProposalBatcherOptions options = {});
  // Waits for the calls out (each bounded by its deadline) and for their
  // completions to finish. REQUIRES: nobody proposes any more.
  ~ProposalBatcher();
  ProposalBatcher(const ProposalBatcher&) = delete;
  ProposalBatcher& operator=(const ProposalBatcher&) = delete;

  // Queues `command` for `address`; `done` gets its outcome (see the file
  // comment). Never blocks on the network.
  void ProposeAsync(const std::string& address, std::string command, absl::Time deadline,
                    Done done);

  // Calls made so far (for tests and metrics).
  std::uint64_t batches_sent() const;
  // Commands waiting for a call (for tests and metrics).
  std::size_t queued() const;

 private:
  struct Item;
  // Removes the next batch from the queue, completing (into `expired`) the
  // queued commands whose deadline has passed. REQUIRES: mu_ held.
  std::vector<std::shared_ptr<Item>> TakeBatch(std::vector<std::shared_ptr<Item>>* expired);
  // Sends batches while slots are free and commands queued. Takes mu_.
  void Pump();
  // Completes the items of a sent batch with its call's result.
  void Complete(std::vector<std::shared_ptr<Item>> batch, BatchResult results);

  const SendBatch send_;
  const ProposalBatcherOptions options_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Item>> queue_;  // guarded by mu_; not yet sent
  // Invariant: 0 <= inflight_ <= options_.max_inflight_batches.
  int inflight_ = 0;                // guarded by mu_
  int completing_ = 0;              // guarded by mu_: Complete() calls running
  std::condition_variable idle_;    // signalled when both reach 0
  std::uint64_t batches_sent_ = 0;  // guarded by mu_
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_PROPOSAL_BATCHER_H_
