// The two narrow views the RPC edge has of the node it runs in (style.md
// §4): the local Raft server, and a directory that turns a Raft id into the
// server's gRPC address. node/ implements them over raft::Node and the
// gossip membership; tests implement them with fakes. Nothing in rpc/ holds
// the node itself.
#ifndef CKRON_RPC_CLUSTER_VIEW_H_
#define CKRON_RPC_CLUSTER_VIEW_H_

#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "raft/types.h"

namespace ckron::rpc {

// The local Raft server, as raft::Node offers it (raft/raft.h has the
// contracts: every future completes exactly once, error codes as listed
// there).
//
// Thread safety: implementations are safe for concurrent use.
class LocalRaft {
 public:
  virtual ~LocalRaft() = default;
  virtual RaftId id() const = 0;
  virtual bool IsLeader() const = 0;
  // A hint; nullopt during elections.
  virtual std::optional<raft::LeaderInfo> Leader() const = 0;
  // Empty before the cluster formed.
  virtual std::vector<raft::Server> Configuration() const = 0;
  virtual raft::NodeInfo Info() const = 0;
  virtual std::future<Result<raft::Applied>> Propose(std::string command) = 0;
  // Propose with a completion callback (raft::Node::ProposeAsync): `done`
  // runs once, on the raft loop thread or, when refused at once, on the
  // caller's; it must not block. The default waits for Propose's future on
  // the caller's thread: only for fakes that answer at once.
  virtual void ProposeAsync(std::string command, std::function<void(Result<raft::Applied>)> done) {
    done(Propose(std::move(command)).get());
  }
  virtual std::future<Status> RemoveServer(RaftId id) = 0;
};

struct ServerAddress {
  std::string name;      // node name (gossip member name)
  std::string rpc_addr;  // "host:port" of its gRPC server ("" if unknown)
};

// Which server a Raft id belongs to, from what gossip knows.
//
// Thread safety: implementations are safe for concurrent use.
class ServerDirectory {
 public:
  virtual ~ServerDirectory() = default;
  // The server member (any status) whose node name derives `id`
  // (raft::IdFromNodeName); nullopt if gossip does not know one.
  virtual std::optional<ServerAddress> FindServer(RaftId id) const = 0;
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_CLUSTER_VIEW_H_
