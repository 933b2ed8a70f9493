// What the leader changes in the Raft configuration so that it matches the
// servers gossip knows (Dkron leader.go reconcileMember / reconcileReaped;
// docs/architecture.md "Reconcile"). A pure function: the leader loop feeds
// it a snapshot of both sides and carries out the actions in order.
//
// Rules:
//   * an alive server of this region with a valid raft_addr that is not a
//     voter at that address is added as voter (a spare left by a failed
//     catch-up is promoted the same way);
//   * a server whose address changed, or whose address another id now uses,
//     is removed first (libraft refuses two servers at one address);
//   * a server whose member has *left* gossip is removed;
//   * a server whose member was *reaped* (failed for longer than
//     serf-reconnect-timeout, then forgotten) is removed;
//   * a failed but not yet reaped server stays: it may come back
//     (`ckron raft remove-peer` removes it sooner);
//   * a server gossip does not know at all, without a reap, stays: gossip
//     may simply not have learned of it yet (e.g. right after a restart);
//   * this server is never removed.
// Removals come before additions.
//
// Thread safety: pure function.
#ifndef CKRON_NODE_RECONCILE_H_
#define CKRON_NODE_RECONCILE_H_

#include <set>
#include <string>
#include <vector>

#include "common/ids.h"
#include "node/server_members.h"
#include "raft/types.h"

namespace ckron::node {

struct ReconcileInput {
  RaftId self;
  std::string region;
  std::vector<raft::Server> configuration;
  std::vector<ServerMember> servers;  // every server member, any region and status
  std::set<RaftId> reaped;            // ids whose member was reaped and has not come back
};

struct ReconcileAction {
  enum class Kind { kAddVoter, kRemove };
  Kind kind;
  RaftId id;
  std::string address;  // kAddVoter: the Raft address to add at
  std::string name;     // node name when known, for logs
  std::string reason;   // for logs
};

std::vector<ReconcileAction> PlanReconcile(const ReconcileInput& input);

}  // namespace ckron::node

#endif  // CKRON_NODE_RECONCILE_H_
