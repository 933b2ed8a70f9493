// The dispatcher's two narrow views of the node it runs in (style.md §4):
// a way to propose state-machine commands on the local leader, and the
// alive members that can run jobs. node/ implements them over raft::Node
// and the gossip membership; tests implement them with fakes.
#ifndef CKRON_DISPATCHER_PROPOSER_H_
#define CKRON_DISPATCHER_PROPOSER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/ids.h"
#include "common/status.h"
#include "dispatcher/target_selector.h"
#include "fsm/commands.h"

namespace ckron::dispatcher {

// Proposes commands on this server's Raft (never forwards: the dispatcher
// only works on the leader).
//
// Thread safety: implementations are safe for concurrent use.
class Proposer {
 public:
  // The verdict of one proposal: OK once the command was applied; the state
  // machine's refusal (kAlreadyExists, kNotFound, ...) with nothing
  // changed; or raft::Node::Propose's errors (kNotLeader, kCancelled,
  // kResourceExhausted: nothing happened; kOutcomeUnknown: maybe applied).
  using Done = std::function<void(const Status&)>;

  virtual ~Proposer() = default;
  // Proposes `command` stamped with the leader's clock reading `now`.
  // Concurrent proposals are batched by Raft into one group commit, so
  // callers issue many before waiting for any. `done` runs exactly once, on
  // an unspecified thread (possibly inside this call); it must not block.
  // May block briefly when too many proposals are in flight (back-pressure).
  virtual void Propose(absl::Time now, fsm::Command command, Done done) = 0;
  // True while this server leads `term` (as of the latest Raft loop
  // iteration). Every dispatch and proposal checks it: a deposed leader
  // must not dispatch (brief: "no doubled runs").
  virtual bool Leads(Term term) const = 0;
};

// The alive members that may run executions.
//
// Thread safety: implementations are safe for concurrent use.
class MemberView {
 public:
  virtual ~MemberView() = default;
  // Alive members of `region` with their gossip tags; the `rpc_addr` tag is
  // the member's gRPC address ("host:port").
  virtual std::vector<Candidate> Alive(const std::string& region) const = 0;
};

// The gossip tag that carries a member's gRPC address.
inline constexpr char kRpcAddrTag[] = "rpc_addr";

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_PROPOSER_H_
