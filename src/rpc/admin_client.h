// Client calls the CLI (and tests) make to a running agent's gRPC port:
// `ckron leave`, `ckron raft list-peers`, `ckron raft remove-peer`, the
// member list. Each call opens its own
// channel; they are one-shot operator commands, not a data path.
//
// Errors (every message names the address):
//   kUnavailable         the agent cannot be reached
//   kTimeout             no answer within CallOptions::timeout
//   kFailedPrecondition  the agent does not serve the service (RaftAdmin on a
//                        non-server, or before Raft started), or refused the
//                        change in its current state
//   kNotFound            RemoveRaftPeer: no such peer
//   kInternal            anything else the agent answered
//
// Thread safety: the functions are safe to call concurrently.
#ifndef CKRON_RPC_ADMIN_CLIENT_H_
#define CKRON_RPC_ADMIN_CLIENT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "rpc/agent_service.h"

namespace ckron::rpc {

struct CallOptions {
  // Deadline of the whole call, connection included.
  absl::Duration timeout = absl::Seconds(10);
};

// Asks the agent at `address` ("host:port") to leave and shut down.
Status RequestLeave(const std::string& address, const CallOptions& options = {});

// The gossip members the agent at `address` knows.
Result<std::vector<MemberView>> ListMembers(const std::string& address,
                                            const CallOptions& options = {});

struct RaftPeer {
  std::string id;       // Raft server id
  std::string node;     // node name
  std::string address;  // Raft host:port
  bool leader = false;
  bool voter = false;
};

Result<std::vector<RaftPeer>> ListRaftPeers(const std::string& address,
                                            const CallOptions& options = {});

// `peer_id` is a Raft id or a node name. A follower forwards the request to
// the leader; `forwarded` (set by that follower) stops a second hop.
Status RemoveRaftPeer(const std::string& address, const std::string& peer_id,
                      const CallOptions& options = {}, bool forwarded = false);

}  // namespace ckron::rpc

#endif  // CKRON_RPC_ADMIN_CLIENT_H_
