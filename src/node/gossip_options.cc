#include "node/gossip_options.h"

#include "membership/agent_tags.h"
#include "node/version.h"

namespace ckron::node {

std::string RaftAdvertiseAddress(const config::AgentConfig& config, const ResolvedAddresses& a) {
  return a.advertise_ip + ":" + std::to_string(config.raft_port);
}

Result<std::map<std::string, std::string>> AgentTags(const config::AgentConfig& c,
                                                     const ResolvedAddresses& a) {
  const int rpc_port = c.advertise_rpc_port != 0 ? c.advertise_rpc_port : c.rpc_port;
  return membership::BuildAgentTags({
      .server = c.server,
      .datacenter = c.datacenter,
      .region = c.region,
      .version = std::string(Version()),
      // Dkron: bootstrap-expect 1 implies bootstrap; the tag says which.
      .bootstrap = c.bootstrap,
      .bootstrap_expect = c.bootstrap_expect,
      .advertise_ip = a.advertise_ip,
      .advertise_rpc_port = rpc_port,
      .raft_addr = c.server ? RaftAdvertiseAddress(c, a) : "",
      .user_tags = c.tags,
  });
}

Result<membership::MembershipOptions> BuildMembershipOptions(const config::AgentConfig& c,
                                                             const ResolvedAddresses& a) {
  membership::MembershipOptions o;
  o.node_name = c.node_name;
  o.bind_addr = a.bind();
  o.advertise_addr = a.advertise();
  o.profile = c.profile;
  if (!c.encrypt.empty()) o.keys = {c.encrypt};
  CKRON_ASSIGN_OR_RETURN(o.tags, AgentTags(c, a));
  o.reconnect_timeout = absl::ToChronoNanoseconds(c.serf_reconnect_timeout);
  return o;
}

}  // namespace ckron::node
