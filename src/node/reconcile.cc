#include "node/reconcile.h"

#include <algorithm>

namespace ckron::node {

std::vector<ReconcileAction> PlanReconcile(const ReconcileInput& in) {
  std::vector<ReconcileAction> removals, additions;
  std::set<RaftId> removed;
  auto remove = [&](RaftId id, std::string name, std::string reason) {
    if (id == in.self || !removed.insert(id).second) return;
    removals.push_back(
        {ReconcileAction::Kind::kRemove, id, "", std::move(name), std::move(reason)});
  };
  auto member_of = [&](RaftId id) -> const ServerMember* {
    const ServerMember* found = nullptr;
    for (const ServerMember& m : in.servers) {
      if (m.raft_id == id && (found == nullptr || m.alive())) found = &m;
    }
    return found;
  };

  // Servers that left or were reaped.
  for (const raft::Server& s : in.configuration) {
    const ServerMember* m = member_of(s.id);
    if (m != nullptr && m->status == membership::MemberState::kLeft) {
      remove(s.id, m->name, "left the gossip pool");
    } else if (m == nullptr && in.reaped.contains(s.id)) {
      remove(s.id, "", "reaped from the gossip pool (failed longer than serf-reconnect-timeout)");
    }
  }

  // Alive servers of this region that are not voters at their address.
  for (const ServerMember& m : in.servers) {
    if (!m.alive() || m.region != in.region || m.raft_addr.empty() || m.raft_id == in.self) {
      continue;
    }
    const auto same_id = std::find_if(in.configuration.begin(), in.configuration.end(),
                                      [&](const raft::Server& s) { return s.id == m.raft_id; });
    if (same_id != in.configuration.end() && same_id->address == m.raft_addr &&
        same_id->role == raft::Role::kVoter) {
      continue;
    }
    if (same_id != in.configuration.end() && same_id->address != m.raft_addr) {
      remove(m.raft_id, m.name, "its Raft address changed to " + m.raft_addr);
    }
    bool blocked = false;
    for (const raft::Server& s : in.configuration) {
      if (s.id == m.raft_id || s.address != m.raft_addr) continue;
      if (s.id == in.self) {
        blocked = true;  // our own address: a misconfiguration, never remove ourselves
        break;
      }
      remove(s.id, "", "its Raft address " + s.address + " now belongs to " + m.name);
    }
    if (blocked) continue;
    additions.push_back({ReconcileAction::Kind::kAddVoter, m.raft_id, m.raft_addr, m.name,
                         same_id == in.configuration.end() ? "alive server not in the configuration"
                                                           : "not a voter yet"});
  }

  removals.insert(removals.end(), additions.begin(), additions.end());
  return removals;
}

}  // namespace ckron::node
