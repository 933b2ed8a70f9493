// The table `ckron raft list-peers` prints: columns Node, ID, Address,
// State (leader|follower), Voter (true|false), left-aligned and separated
// by two spaces, as Dkron's columnize output.
//
// Thread safety: pure function.
#ifndef CKRON_CLI_PEER_TABLE_H_
#define CKRON_CLI_PEER_TABLE_H_

#include <string>
#include <vector>

#include "rpc/admin_client.h"

namespace ckron::cli {

std::string FormatPeerTable(const std::vector<rpc::RaftPeer>& peers);

}  // namespace ckron::cli

#endif  // CKRON_CLI_PEER_TABLE_H_
