// Group commit across the follower -> leader hop: concurrent proposals that
// a server forwards to the leader are coalesced into one call carrying
// several commands (Cluster.ProposeBatch), so 64 writers cost a few round
// trips and gRPC wake-ups instead of 64. The leader proposes the commands of
// a call together, and its Raft packs them into one log entry
// (raft/engine.h), so they also share one append and fsync.
//
// How a batch forms (no timer, no added latency): each caller queues its
// command; while fewer than max_inflight_batches calls are out, a caller
// takes the oldest queued commands for the front command's address (up to
// max_batch_commands commands and max_batch_bytes bytes, at least one) and
// sends them itself. Callers that arrive while the calls are out queue up
// and leave in the next batch. So a lone writer sends at once, and under
// load batches grow with the round trip.
//
// Outcomes, per caller (each caller gets exactly its own command's result):
//   the command's own result from SendBatch (OK or its error), or
//   the whole call's error when SendBatch fails as a whole, or
//   kOutcomeUnknown  the call answered with a different number of results,
//                    or the caller's deadline passed while its command was
//                    out (the leader may still apply it),
//   kUnavailable     the caller's deadline passed before its command was
//                    sent: nothing happened.
// Ordering: a caller blocks until its command's outcome, so one caller's
// commands reach the leader in the order it proposed them; commands of a
// batch are sent in queue order.
//
// Thread safety: safe for concurrent use; Propose blocks its caller, who may
// meanwhile carry other callers' commands.
#ifndef CKRON_RPC_PROPOSAL_BATCHER_H_
#define CKRON_RPC_PROPOSAL_BATCHER_H_

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
  // Sends `commands` to the server at `address` in one call and returns one
  // result per command, in order, or one Status for the whole call (every
  // command of the batch then gets it). Called on a caller's thread, never
  // with the batcher's lock held. `deadline` is the latest deadline of the
  // batch's callers.
  using SendBatch = std::function<Result<std::vector<Result<raft::Applied>>>(
      const std::string& address, std::vector<std::string> commands, absl::Time deadline)>;

  explicit ProposalBatcher(SendBatch send, ProposalBatcherOptions options = {});
  ProposalBatcher(const ProposalBatcher&) = delete;
  ProposalBatcher& operator=(const ProposalBatcher&) = delete;

  // Proposes `command` at `address` in some batch; returns its outcome (see
  // the file comment) by `deadline` at the latest, unless this caller is
  // itself sending a batch, which returns when SendBatch does.
  Result<raft::Applied> Propose(const std::string& address, std::string command,
                                absl::Time deadline);

  // Calls made so far (for tests and metrics).
  std::uint64_t batches_sent() const;
  // Commands waiting for a call (for tests and metrics).
  std::size_t queued() const;

 private:
  struct Item;
  // Removes the next batch from the queue. REQUIRES: mu_ held, queue_ not
  // empty.
  std::vector<std::shared_ptr<Item>> TakeBatch();
  // Sends `batch` (mu_ released meanwhile) and completes its items.
  void SendAndComplete(std::unique_lock<std::mutex>& lock,
                       std::vector<std::shared_ptr<Item>> batch);

  const SendBatch send_;
  const ProposalBatcherOptions options_;
  mutable std::mutex mu_;
  std::deque<std::shared_ptr<Item>> queue_;  // guarded by mu_; not yet sent
  // Invariant: 0 <= inflight_ <= options_.max_inflight_batches.
  int inflight_ = 0;                // guarded by mu_
  std::uint64_t batches_sent_ = 0;  // guarded by mu_
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_PROPOSAL_BATCHER_H_
