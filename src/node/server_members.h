// The servers among the gossip members, as the Raft side needs them: a
// member is a server when it carries role=dkron and server=true (Dkron's
// isServer, dkron-spec §2.4); its Raft id derives from its name
// (raft::IdFromNodeName) and its Raft address is ckron's raft_addr tag.
//
// GossipDirectory answers "which server has this Raft id" for the RPC edge
// (rpc/cluster_view.h) from the live member list.
#ifndef CKRON_NODE_SERVER_MEMBERS_H_
#define CKRON_NODE_SERVER_MEMBERS_H_

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/ids.h"
#include "membership/membership.h"
#include "rpc/cluster_view.h"

namespace ckron::node {

struct ServerMember {
  std::string name;
  RaftId raft_id;
  std::string raft_addr;  // the raft_addr tag if it is a valid IPv4 address, else ""
  std::string rpc_addr;
  std::string region;
  int expect = 0;          // the expect tag (0 if absent or not a number)
  bool bootstrap = false;  // the bootstrap tag is "1"
  membership::MemberState status = membership::MemberState::kNone;

  bool alive() const { return status == membership::MemberState::kAlive; }
};

// True for role=dkron and server=true.
bool IsServer(const membership::MemberInfo& member);

// The servers among `members`, in the same order. Pure.
std::vector<ServerMember> ServerMembers(const std::vector<membership::MemberInfo>& members);

// rpc::ServerDirectory over the gossip member list. Safe for concurrent use.
class GossipDirectory final : public rpc::ServerDirectory {
 public:
  // `members` must outlive the directory.
  explicit GossipDirectory(const membership::Membership* members);
  std::optional<rpc::ServerAddress> FindServer(RaftId id) const override;

 private:
  RaftId IdOf(const std::string& name) const;  // memoised IdFromNodeName

  const membership::Membership* const members_;
  mutable std::mutex mu_;
  // Names seen so far -> their Raft ids (SHA-1 is not free; names are few).
  mutable std::unordered_map<std::string, RaftId> ids_;  // guarded by mu_
};

}  // namespace ckron::node

#endif  // CKRON_NODE_SERVER_MEMBERS_H_
