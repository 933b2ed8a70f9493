// Proposes state-machine commands from any server (hop 2 of the data path,
// docs/architecture.md): on this server when it leads, else over gRPC to the
// leader's Cluster service, found through the leader's Raft id -> the gossip
// member whose name derives it -> its rpc_addr tag. Leader changes,
// elections and unreachable leaders are retried with exponential backoff
// until the deadline. Reads never come here: they are served locally.
//
// Outcomes of Propose / ProposeLocal:
//   OK                 applied; `result` is the state machine's verdict
//                      (fsm::DecodeOutcome), which may itself be a refusal
//   kOutcomeUnknown    some attempt may have reached the log (a leader lost
//                      leadership after appending, a forwarded call broke in
//                      transit or timed out) and no later attempt succeeded
//                      before the deadline. Retry with the same command:
//                      commands are idempotent (style.md §16).
//   kUnavailable       no attempt reached any log before the deadline (no
//                      leader, leader unreachable): nothing happened
//   kInvalidArgument, kResourceExhausted, ... as raft::Node::Propose, not
//                      retried where retrying cannot help
//   kNotLeader         ProposeLocal only: this server does not lead
//
// A follower forwards concurrent proposals together, in Cluster.ProposeBatch
// calls (rpc/proposal_batcher.h), each command keeping its own outcome; to
// a leader that does not serve ProposeBatch (an older version) it falls
// back to one Cluster.Propose per command.
//
// After an unknown outcome Propose keeps retrying (the next attempt may
// apply the command a second time; commands are idempotent), so an OK
// answer means "applied at least once".
//
// ProposeAsync is the same without a waiting thread: attempts complete in
// Raft's apply callback (on the leader) or gRPC's (when forwarding), and the
// backoff between attempts and the deadline are timers (one timer thread
// per LeaderClient), so a write in flight costs no thread at all.
//
// Thread safety: safe for concurrent use; Propose, ProposeLocal* and
// CallLeader block their caller until they have an answer or the deadline
// passes.
#ifndef CKRON_RPC_LEADER_CLIENT_H_
#define CKRON_RPC_LEADER_CLIENT_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "raft/types.h"
#include "rpc/cluster_client.h"
#include "rpc/cluster_view.h"
#include "rpc/proposal_batcher.h"
#include "rpc/timer_queue.h"

namespace ckron::rpc {

struct LeaderClientOptions {
  // Wait before the first retry; doubled after each failed attempt up to
  // max_backoff. Shorter finds a new leader sooner after a failover (about
  // 0.5 s at raft-multiplier 1) at the cost of more attempts meanwhile.
  absl::Duration initial_backoff = absl::Milliseconds(10);
  absl::Duration max_backoff = absl::Milliseconds(250);
  // Bounds of the batches in which a follower forwards concurrent proposals
  // to the leader (Cluster.ProposeBatch; rpc/proposal_batcher.h).
  ProposalBatcherOptions forward_batches;
};

class LeaderClient {
 public:
  // The views and the client must outlive this object.
  LeaderClient(LocalRaft* raft, const ServerDirectory* directory, ClusterClient* client,
               LeaderClientOptions options = {});
  // Waits for the attempts in flight (Raft applies, forwarded calls; each
  // bounded by its deadline) to come back. Proposals waiting between
  // attempts are dropped without an answer.
  ~LeaderClient();
  LeaderClient(const LeaderClient&) = delete;
  LeaderClient& operator=(const LeaderClient&) = delete;

  // Proposes on the leader wherever it is, retrying until `deadline`.
  Result<raft::Applied> Propose(std::string command, absl::Time deadline);

  // Propose without blocking: `done` gets Propose's answer exactly once (at
  // the latest at `deadline`: kOutcomeUnknown if an attempt is then still
  // out), on whichever thread completes it -- the raft loop, a gRPC
  // callback thread, this client's timer thread, or the caller's before
  // this returns. `done` must be short and must not block.
  using ProposeDone = std::function<void(Result<raft::Applied>)>;
  void ProposeAsync(std::string command, absl::Time deadline, ProposeDone done);

  // Proposes on this server only (a forwarded request): kNotLeader, with the
  // leader's Raft address as hint, when it does not lead. Waits until
  // `deadline` for the apply; kOutcomeUnknown if it did not come by then.
  Result<raft::Applied> ProposeLocal(std::string command, absl::Time deadline);

  // ProposeLocal for several commands at once (a forwarded batch), without
  // blocking: all are queued to Raft at once, so they share log entries.
  // `done` gets one result per command, in order, each as ProposeLocal's
  // (but with no deadline of its own: Raft answers each, at the latest when
  // leadership is lost or the node stops), on the raft loop thread or on
  // the caller's before this returns. It must not block.
  void ProposeLocalBatchAsync(std::vector<std::string> commands,
                              std::function<void(std::vector<Result<raft::Applied>>)> done);

  // Calls the leader wherever it is: `here` when this server leads, else
  // `there` with the leader's gRPC address ("host:port"). Retries on
  // kNotLeader, kUnavailable and kCancelled (a leader change or an
  // unreachable leader) with the same backoff as Propose, until `deadline`;
  // other errors and OK are returned as they come. For calls that are not
  // proposals (a manual run on the leader's dispatcher).
  Status CallLeader(const std::function<Status()>& here,
                    const std::function<Status(const std::string& rpc_addr)>& there,
                    absl::Time deadline);

 private:
  struct Op;
  // Starts the op's next attempt (locally or forwarded); its result goes to
  // OnResult.
  void StartAttempt(const std::shared_ptr<Op>& op);
  void OnResult(const std::shared_ptr<Op>& op, std::uint64_t attempt, Result<raft::Applied> r);
  void OnDeadline(const std::shared_ptr<Op>& op);
  // An attempt came back (for the destructor's wait).
  void AttemptBack();

  LocalRaft* const raft_;
  const ServerDirectory* const directory_;
  const LeaderClientOptions options_;
  // Forwards to the leader; concurrent forwards share calls.
  ProposalBatcher forwarder_;

  std::mutex mu_;
  std::condition_variable attempts_back_;
  int attempts_out_ = 0;   // guarded by mu_: attempts whose callback has not run
  bool stopping_ = false;  // guarded by mu_: the destructor runs; no new attempts
  // Backoff and deadline timers. Last: destroyed (its thread joined) first.
  TimerQueue timers_;
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_LEADER_CLIENT_H_
