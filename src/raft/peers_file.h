// Quorum-loss recovery input: `<data-dir>/raft/peers.json`, Dkron's (and
// Consul's) format, so operators' runbooks carry over:
//
//   [
//     {"id": "node-a", "address": "10.0.0.1:8190", "non_voter": false},
//     {"id": "node-b", "address": "10.0.0.2:8190"}
//   ]
//
// `id` is the node name (the Raft id is derived with IdFromNodeName, as every
// node does for itself) or, as a JSON number, a raw Raft id. `address` is the
// Raft address (port defaults to 8190). `non_voter: true` makes the server a
// standby. The procedure is in docs/raft.md "Recovering from quorum loss".
//
// Thread safety: pure functions.
#ifndef CKRON_RAFT_PEERS_FILE_H_
#define CKRON_RAFT_PEERS_FILE_H_

#include <filesystem>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "raft/types.h"

namespace ckron::raft {

inline constexpr std::string_view kPeersFileName = "peers.json";
// What peers.json is renamed to once applied, so it applies once.
inline constexpr std::string_view kPeersAppliedFileName = "peers.json.applied";

// Parses and validates (ValidateConfiguration) a peers.json text.
// kInvalidArgument with the reason on any error.
Result<std::vector<Server>> ParsePeersJson(std::string_view text);

// OK if `servers` can be a Raft configuration: non-empty, ids non-zero and
// unique, addresses valid and unique, at least one voter.
Status ValidateConfiguration(const std::vector<Server>& servers);

}  // namespace ckron::raft

#endif  // CKRON_RAFT_PEERS_FILE_H_
