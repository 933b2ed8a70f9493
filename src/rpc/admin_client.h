// Client calls the CLI makes to a running agent's gRPC port: `ckron leave`,
// `ckron raft list-peers`, `ckron raft remove-peer`. Each call opens its own
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

namespace ckron::rpc {

struct CallOptions {
  // Deadline of the whole call, connection included.
  absl::Duration timeout = absl::Seconds(10);
};

// Asks the agent at `address` ("host:port") to leave and shut down.
Status RequestLeave(const std::string& address, const CallOptions& options = {});

struct RaftPeer {
  std::string id;       // Raft server id
  std::string node;     // node name
  std::string address;  // Raft host:port
  bool leader = false;
  bool voter = false;
};

Result<std::vector<RaftPeer>> ListRaftPeers(const std::string& address,
                                            const CallOptions& options = {});

Status RemoveRaftPeer(const std::string& address, const std::string& peer_id,
                      const CallOptions& options = {});

}  // namespace ckron::rpc

#endif  // CKRON_RPC_ADMIN_CLIENT_H_
