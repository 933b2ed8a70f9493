// ckron.v1.RaftAdmin (proto/ckron/v1/admin.proto), served by server agents
// once their Raft node runs: `ckron raft list-peers` (and bootstrap-expect
// probing, node/formation.h) and `ckron raft remove-peer`.
//
// ListPeers answers from this server's view of the configuration (an empty
// list before the cluster formed). RemovePeer takes a Raft id or a node
// name; the leader removes the server, a follower forwards the request to
// the leader once (the forwarded request is not forwarded again).
//
// Thread safety: handlers run on gRPC threads; RemovePeer blocks its thread
// until the change commits or `change_timeout` passes.
#ifndef CKRON_RPC_RAFT_ADMIN_SERVICE_H_
#define CKRON_RPC_RAFT_ADMIN_SERVICE_H_

#include <string>

#include "absl/time/time.h"
#include "ckron/v1/admin.grpc.pb.h"
#include "rpc/cluster_view.h"

namespace ckron::rpc {

struct RaftAdminOptions {
  std::string node_name;  // this server's, shown for its own id
  // How long RemovePeer waits for the configuration change to commit.
  absl::Duration change_timeout = absl::Seconds(30);
};

class RaftAdminService final : public ckron::v1::RaftAdmin::Service {
 public:
  // `raft` and `directory` must outlive the service.
  RaftAdminService(RaftAdminOptions options, LocalRaft* raft, const ServerDirectory* directory);

  grpc::Status ListPeers(grpc::ServerContext* context, const ckron::v1::ListPeersRequest* request,
                         ckron::v1::ListPeersResponse* response) override;
  grpc::Status RemovePeer(grpc::ServerContext* context, const ckron::v1::RemovePeerRequest* request,
                          ckron::v1::RemovePeerResponse* response) override;

 private:
  Status Remove(const std::string& id_text, bool forwarded);

  const RaftAdminOptions options_;
  LocalRaft* const raft_;
  const ServerDirectory* const directory_;
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_RAFT_ADMIN_SERVICE_H_
