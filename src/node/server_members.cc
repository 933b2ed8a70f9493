#include "node/server_members.h"

#include <charconv>

#include "raft/options.h"

namespace ckron::node {
namespace {

std::string TagOr(const membership::MemberInfo& m, const char* key) {
  auto it = m.tags.find(key);
  return it == m.tags.end() ? "" : it->second;
}

}  // namespace

bool IsServer(const membership::MemberInfo& m) {
  return TagOr(m, "role") == "dkron" && TagOr(m, "server") == "true";
}

std::vector<ServerMember> ServerMembers(const std::vector<membership::MemberInfo>& members) {
  std::vector<ServerMember> out;
  for (const membership::MemberInfo& m : members) {
    if (!IsServer(m)) continue;
    ServerMember s;
    s.name = m.name;
    s.raft_id = raft::IdFromNodeName(m.name);
    s.raft_addr = TagOr(m, "raft_addr");
    if (!raft::ValidateAddress(s.raft_addr).ok()) s.raft_addr.clear();
    s.rpc_addr = m.rpc_addr;
    s.region = m.region;
    const std::string expect = TagOr(m, "expect");
    int n = 0;
    const auto [end, ec] = std::from_chars(expect.data(), expect.data() + expect.size(), n);
    if (ec == std::errc() && end == expect.data() + expect.size()) s.expect = n;
    s.bootstrap = TagOr(m, "bootstrap") == "1";
    s.status = m.status;
    out.push_back(std::move(s));
  }
  return out;
}

GossipDirectory::GossipDirectory(const membership::Membership* members) : members_(members) {}

RaftId GossipDirectory::IdOf(const std::string& name) const {
  std::lock_guard lock(mu_);
  if (ids_.size() > 65536) ids_.clear();  // bound the memo under member churn
  auto [it, inserted] = ids_.try_emplace(name);
  if (inserted) it->second = raft::IdFromNodeName(name);
  return it->second;
}

std::optional<rpc::ServerAddress> GossipDirectory::FindServer(RaftId id) const {
  std::optional<rpc::ServerAddress> found;
  for (const membership::MemberInfo& m : members_->Members()) {
    if (!IsServer(m) || IdOf(m.name) != id) continue;
    // Prefer an alive entry if the name appears more than once.
    if (!found || m.status == membership::MemberState::kAlive) {
      found = rpc::ServerAddress{m.name, m.rpc_addr};
    }
  }
  return found;
}

}  // namespace ckron::node
