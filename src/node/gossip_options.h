// The agent's gossip settings, derived from its configuration and resolved
// addresses: the Serf tags every Dkron agent publishes (dkron-spec §2.4,
// membership/agent_tags.h) plus ckron's raft_addr on servers, and the
// memberlist/Serf options (profile, key, reconnect timeout). Joining is not
// part of these options: the agent joins itself (node/joiner.h) so that it
// can log and act on the outcome.
//
// Thread safety: pure functions.
#ifndef CKRON_NODE_GOSSIP_OPTIONS_H_
#define CKRON_NODE_GOSSIP_OPTIONS_H_

#include <map>
#include <string>

#include "common/status.h"
#include "config/agent_config.h"
#include "membership/membership.h"
#include "node/addresses.h"

namespace ckron::node {

// "<advertise ip>:<raft-port>": where other servers reach this server's Raft.
std::string RaftAdvertiseAddress(const config::AgentConfig& config, const ResolvedAddresses& a);

// Dkron's tags for this agent, plus raft_addr on servers. Errors:
// kInvalidArgument when a user tag uses a reserved key (the loader refuses
// those already) or the tags exceed what gossip can carry.
Result<std::map<std::string, std::string>> AgentTags(const config::AgentConfig& config,
                                                     const ResolvedAddresses& a);

// Everything but join/retry-join. Errors: those of AgentTags.
Result<membership::MembershipOptions> BuildMembershipOptions(const config::AgentConfig& config,
                                                             const ResolvedAddresses& a);

}  // namespace ckron::node

#endif  // CKRON_NODE_GOSSIP_OPTIONS_H_
