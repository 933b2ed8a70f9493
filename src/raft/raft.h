// raft::Node -- consensus for ckron: canonical raft 0.15 (libraft, Debian's
// libraft-dev) with its libuv disk and TCP I/O, behind one narrow interface.
// Nothing outside raft/ sees libraft or libuv. Design: docs/raft.md.
//
// Thread safety: every public method is safe to call from any thread, except
// that Start/Stop/Bootstrap must not race each other, and no method may be
// called from the raft loop thread (inside StateMachine callbacks or
// leadership listeners) if it waits for the loop: Stop, Bootstrap while
// running, and any `.get()` on a future this class returned. Propose,
// Barrier, AddVoter, ... merely enqueue, so they may be called there as long as
// nobody waits on the result on that thread.
//
// Threads: one "raft loop" thread per Node runs libuv and libraft; the state
// machine's Apply/PrepareSnapshot/Restore and the leadership listeners run on
// it. Snapshot serialisation runs on libuv's worker pool. Other threads hand
// work to the loop through a bounded queue.
//
// Futures: every future returned here is completed exactly once, at the latest
// by Stop(). Error codes and what the caller may assume:
//   kNotLeader         not leader; nothing happened. leader_hint() is the
//                      leader's Raft address if known ("" otherwise).
//   kOutcomeUnknown    the command reached the log but leadership was lost (or
//                      the node stopped) before it was known committed; it may
//                      or may not be applied. Retry with an idempotency key.
//   kCancelled         the node stopped (or was not running) before the
//                      request reached the log; nothing happened.
//   kResourceExhausted the proposal queue was full; nothing happened.
//   kInvalidArgument   the request itself is bad (e.g. a command too large).
//   kUnavailable       a transient condition (another membership change in
//                      progress, a new voter failed to catch up, the node hit a
//                      fatal storage error); nothing happened, retry later.
#ifndef CKRON_RAFT_RAFT_H_
#define CKRON_RAFT_RAFT_H_

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "raft/options.h"
#include "raft/state_machine.h"
#include "raft/types.h"

namespace ckron::raft {

// Runs on the raft loop thread; must return quickly and never block.
using LeadershipListener = std::function<void(const LeadershipEvent&)>;

class Node {
 public:
  // Validates `options` (kInvalidArgument). Does no I/O. `state_machine` must
  // outlive the Node.
  static Result<std::unique_ptr<Node>> Create(Options options, StateMachine* state_machine);

  // Stops the node if it is running.
  ~Node();

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // This server's id (Options::id, or derived from the node name).
  RaftId id() const;

  // Records the initial configuration of a new cluster. Call it with the same
  // list on every founding server (Dkron's bootstrap-expect), or on one server
  // with only itself (single-node start; others join with AddVoter).
  // Before Start: recorded, applied at Start. While running: if the node
  // never had any Raft state (it started on an empty directory and nobody
  // added it to a cluster yet), it restarts its Raft instance in place with
  // the configuration; this call then waits for the loop (do not call it
  // from the loop thread).
  // A node that already holds Raft state counts as "already bootstrapped":
  // OK, the list is ignored (libraft's RAFT_CANTBOOTSTRAP).
  // kInvalidArgument if the list is empty, has duplicate ids/addresses, no
  // voter, or bad addresses.
  Status Bootstrap(std::vector<Server> servers);

  // Ignores SIGPIPE for the process (libraft's TCP writes would kill it),
  // creates <data_dir>/raft, applies <data_dir>/raft/peers.json if present
  // (then renames it to peers.json.applied), loads the log and snapshot
  // (calling StateMachine::Restore), and starts the loop thread. Returns once
  // the node is serving. Errors: kFailedPrecondition if already started (or
  // stopped),
  // kUnavailable for I/O problems (directory, port in use), kInvalidArgument
  // for a malformed peers.json, kInternal if the stored state is corrupt.
  Status Start();

  // Closes Raft and the loop thread. Pending futures complete (kCancelled or
  // kOutcomeUnknown as above); the leadership listeners see kLost if this node
  // was leader. Idempotent. A stopped Node cannot be started again (Start
  // returns kFailedPrecondition): starting would replay the log into a state
  // machine that already holds it. Restart with a new Node and a fresh state
  // machine.
  void Stop();

  // Proposes a command. On the leader it is batched with other proposals into
  // one log entry (group commit); the future completes with the state
  // machine's result once the command is applied locally. Never blocks.
  std::future<Result<Applied>> Propose(std::string command);

  // Propose with a completion callback instead of a future: `done` is called
  // exactly once with what the future would hold (the same outcomes), on the
  // raft loop thread once the command is applied or fails there, or on the
  // calling thread before this returns when it is refused at once (too
  // large, queue full, node not running). `done` must not block and must
  // not wait for the loop: it delays every other proposal. Never blocks.
  void ProposeAsync(std::string command, std::function<void(Result<Applied>)> done);

  // Completes once every entry committed before the call is applied on this
  // node (appends a barrier entry; leader only). Used by the leader loop
  // before it reads state to schedule. kNotLeader if not (or no longer)
  // leader.
  std::future<Status> Barrier();

  // Adds a server as voter: adds it as spare, lets it catch up, then promotes
  // it (Raft thesis §4.2.1). OK if it is already a voter at this address.
  // kUnavailable if it failed to catch up within the catch-up rounds (it stays
  // a spare; call again or RemoveServer), kAlreadyExists if the id or the
  // address belongs to a different server.
  std::future<Status> AddVoter(RaftId id, std::string address);

  // Removes a server from the configuration. A leader removing itself steps
  // down once the change commits. kNotFound if it is not a member.
  std::future<Status> RemoveServer(RaftId id);

  // Hands leadership to `target` (or, if nullopt, to the most up-to-date
  // voter). OK once this server sees another leader; kTimeout if none took
  // over within an election timeout; kNotFound if `target` is not a voter.
  std::future<Status> TransferLeadership(std::optional<RaftId> target);

  // The latest configuration this server knows (possibly not yet committed).
  // Empty before Start or on a server that has not joined a cluster.
  std::vector<Server> Configuration() const;

  // The leader as far as this server knows (itself if leader); nullopt
  // during elections. A hint for forwarding: it may be stale.
  std::optional<LeaderInfo> Leader() const;

  // True while this server is leader (as of the last loop iteration).
  bool IsLeader() const;

  NodeInfo Info() const;

  // Registers a listener for leadership changes; returns a handle for
  // RemoveLeadershipListener. A listener added while this node leads first
  // gets kGained for the current term. Listeners run on the loop thread.
  std::uint64_t AddLeadershipListener(LeadershipListener listener);
  // After it returns, the listener is not running and will not run again
  // (unless called from the listener itself, which is allowed).
  void RemoveLeadershipListener(std::uint64_t handle);

 private:
  class Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckron::raft

#endif  // CKRON_RAFT_RAFT_H_
