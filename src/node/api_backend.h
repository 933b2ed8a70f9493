// api::Backend on a server: the REST API's one view of the node (style.md
// §4). Reads come from the local replicated state; writes go through the
// LeaderClient (forwarded to the leader when this server follows); manual
// runs reach the leader's dispatcher (here, or Cluster.RunJob there), and
// so does a running execution's live output (Cluster.LiveOutput);
// cancels go straight to the agent running the execution (any server can
// find it in the replicated state); members and tags come from gossip.
//
// Thread safety: safe for concurrent use (every view it holds is).
#ifndef CKRON_NODE_API_BACKEND_H_
#define CKRON_NODE_API_BACKEND_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "api/backend.h"
#include "dispatcher/dispatcher.h"
#include "membership/membership.h"
#include "rpc/cluster_client.h"
#include "rpc/cluster_view.h"
#include "rpc/leader_client.h"
#include "rpc/live_output_offsets.h"

namespace ckron::node {

struct ApiBackendViews {
  std::string node_name;
  std::string region;
  const replica::ReplicatedState* state = nullptr;
  rpc::LeaderClient* leader_client = nullptr;
  rpc::ClusterClient* cluster_client = nullptr;
  rpc::LocalRaft* raft = nullptr;
  const rpc::ServerDirectory* directory = nullptr;
  dispatcher::Dispatcher* dispatcher = nullptr;
  const membership::Membership* members = nullptr;
  // Admission of job writes (admission::ValidateJobForWrite).
  std::function<Status(const fsm::Job&)> validate_job;
  // Starts the agent's graceful shutdown (POST /v1/leave); may be empty.
  std::function<void()> leave;
};

class ServerApiBackend final : public api::Backend {
 public:
  // Every pointer in `views` must outlive this object.
  explicit ServerApiBackend(ApiBackendViews views);

  std::string node_name() const override { return v_.node_name; }
  std::string version() const override;
  const replica::ReplicatedState& state() const override { return *v_.state; }
  Status ValidateJob(const fsm::Job& job) const override;
  Result<fsm::Outcome> Propose(fsm::Command command, absl::Time deadline) override;
  void ProposeAsync(fsm::Command command, absl::Time deadline, ProposeDone done) override;
  Status RunJob(const std::string& job, bool force, absl::Time deadline) override;
  Status CancelExecution(const std::string& job, const std::string& id,
                         absl::Time deadline) override;
  std::optional<std::string> LiveOutput(const std::string& job,
                                        const std::string& id) const override;
  std::vector<api::MemberInfo> Members() const override;
  std::map<std::string, std::string> LocalTags() const override;
  std::map<std::string, std::string> GossipStats() const override;
  bool IsLeader() const override;
  std::optional<std::string> LeaderName() const override;
  std::map<std::string, std::vector<std::string>> Peers() const override;
  std::vector<api::RaftPeerInfo> RaftPeers() const override;
  void Leave() override;

 private:
  const ApiBackendViews v_;
  // A follower asks the leader for live output again only after this
  // (Unix ns): set for a second after a call failed.
  mutable std::atomic<std::int64_t> live_output_paused_until_{0};
  // This follower's copies of the leader's live buffers (incremental
  // Cluster.LiveOutput).
  mutable rpc::LiveOutputCopy live_copies_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_API_BACKEND_H_
