// The serf tags a Dkron agent sets (dkron-spec §2.4, dkron/agent.go
// setupSerf), built as a pure function of the agent's settings so servers,
// agents and the tests agree on them.
//
// Thread safety: pure function.
#ifndef CKRON_MEMBERSHIP_AGENT_TAGS_H_
#define CKRON_MEMBERSHIP_AGENT_TAGS_H_

#include <map>
#include <string>

#include "common/status.h"

namespace ckron::membership {

struct AgentTagSettings {
  bool server = false;
  std::string datacenter = "dc1";
  std::string region = "global";
  std::string version;
  bool bootstrap = false;
  int bootstrap_expect = 0;
  std::string advertise_ip;  // the gossip advertise IP
  int advertise_rpc_port = 6868;
  // ckron: "<advertise ip>:<raft port>" on servers, so servers find each
  // other's Raft address (cluster formation, reconcile). "" = no tag.
  std::string raft_addr;
  std::map<std::string, std::string> user_tags;  // --tag k=v
};

// role=dkron, dc, region, version, server=true (servers only), bootstrap=1
// (if set), expect=N (if > 0), rpc_addr=<advertise ip>:<rpc port>, port,
// plus the user tags. Errors: kInvalidArgument when a user tag uses a
// reserved key (role, dc, region, version, server, bootstrap, expect,
// rpc_addr, port).
Result<std::map<std::string, std::string>> BuildAgentTags(const AgentTagSettings& s);

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_AGENT_TAGS_H_
