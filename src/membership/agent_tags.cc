#include "membership/agent_tags.h"

namespace ckron::membership {

Result<std::map<std::string, std::string>> BuildAgentTags(const AgentTagSettings& s) {
  static const char* const kReserved[] = {"role",   "dc",        "region", "version",
                                          "server", "bootstrap", "expect", "rpc_addr",
                                          "port",   "raft_addr"};
  std::map<std::string, std::string> tags;
  for (const auto& [k, v] : s.user_tags) {
    for (const char* r : kReserved) {
      if (k == r) return Status::InvalidArgument("tag '" + k + "' is reserved and cannot be set");
    }
    tags[k] = v;
  }
  tags["role"] = "dkron";
  tags["dc"] = s.datacenter;
  tags["region"] = s.region;
  tags["version"] = s.version;
  if (s.server) tags["server"] = "true";
  if (s.bootstrap) tags["bootstrap"] = "1";
  if (s.bootstrap_expect > 0) tags["expect"] = std::to_string(s.bootstrap_expect);
  const std::string host =
      s.advertise_ip.find(':') != std::string::npos ? "[" + s.advertise_ip + "]" : s.advertise_ip;
  tags["rpc_addr"] = host + ":" + std::to_string(s.advertise_rpc_port);
  tags["port"] = std::to_string(s.advertise_rpc_port);
  if (!s.raft_addr.empty()) tags["raft_addr"] = s.raft_addr;
  return tags;
}

}  // namespace ckron::membership
