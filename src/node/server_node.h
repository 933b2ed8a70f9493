// The server side of an agent (`agent --server`), built by the agent (the
// composition root, node/agent.h) in this order:
//
//   1. execution store   RocksDB at <data-dir>/executions (rebuilt from Raft
//                        on every start)
//   2. replicated state  fsm/ over the store (replica/replicated_state.h)
//   3. Raft              raft::Node on bind IP : raft-port, advertised as
//                        advertise IP : raft-port, log in <data-dir>/raft
//   4. RPC services      RaftAdmin, Cluster and Executions, over narrow
//                        views of Raft and of the gossip directory
//                        (rpc/cluster_view.h), with the LeaderClient that
//                        forwards proposals; Executions runs the job's
//                        processors (processor/pipeline.h) on reports;
//                        Cluster.RunJob runs manual runs on the dispatcher
//   4b. API backend      the REST API's view of this server
//                        (node/api_backend.h); the agent serves the API
//   3b. scheduling       (before Raft starts, so it sees every event) the
//                        leader-only scheduler + dispatcher
//                        (node/scheduling.h), a leadership observer
//   5. cluster work      (StartClusterWork, once gRPC serves) the leader loop,
//                        the leader watch (node/leader_watch.h: the leader
//                        event of GET /v1/events, skip metrics) and, until
//                        this server is in a Raft configuration, cluster
//                        formation (node/formation.h)
//
// Plain agents build none of this.
//
// Thread safety: Open/StartClusterWork/PrepareToLeave/Stop from the agent's
// main thread; OnMemberEvent from the member-event thread; the services on
// gRPC threads.
#ifndef CKRON_NODE_SERVER_NODE_H_
#define CKRON_NODE_SERVER_NODE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "membership/membership.h"
#include "node/leader_loop.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace ckron::api {
class Backend;
class EventHub;
}  // namespace ckron::api
namespace ckron::storage {
class RocksExecutionStore;
}  // namespace ckron::storage
namespace ckron::replica {
class EventSink;
class ReplicatedState;
}  // namespace ckron::replica
namespace ckron::raft {
class Node;
}  // namespace ckron::raft
namespace ckron::dispatcher {
class RaftProposer;
class MemberView;
}  // namespace ckron::dispatcher
namespace ckron::executor {
class ExecutorRegistry;
}  // namespace ckron::executor
namespace ckron::processor {
class ProcessorRegistry;
class Pipeline;
}  // namespace ckron::processor
namespace ckron::rpc {
class ExecutionsService;
class LocalRaft;
class ClusterClient;
class LeaderClient;
class ClusterService;
class RaftAdminService;
class RestoreCounter;
}  // namespace ckron::rpc

namespace ckron::node {

class ClusterFormation;
class ClusterMetrics;
class GossipDirectory;
class LeaderWatch;
class Scheduling;
class ServerApiBackend;

struct ServerNodeOptions {
  std::string node_name;
  std::string region;
  std::string data_dir;
  std::string raft_address;  // advertise IP : raft-port
  std::string raft_bind;     // bind IP : raft-port
  int raft_multiplier = 1;
  int bootstrap_expect = 0;
  bool bootstrap = false;
  std::chrono::milliseconds reconcile_interval{60000};
  // A running execution is declared lost when its node has not renewed its
  // lease for this long (agents renew every third of it).
  std::chrono::milliseconds execution_lease{30000};
  // How long a dispatched run may take to start on its node before it is
  // recorded as failed (and retried if the job has retries).
  std::chrono::milliseconds dispatch_timeout{10000};
  // Scheduled fires are recorded this long before their instant and their
  // runs sent ahead, armed to start at the instant (docs/semantics.md,
  // "Arming ahead"); a run due within arm_ahead is sent at once. 0: both
  // at the instant.
  std::chrono::milliseconds fire_lead{500};
  std::chrono::milliseconds arm_ahead{1000};
  // A started run is recorded as running this long after its node said
  // `started`, unless its result is committed first (docs/semantics.md
  // §4.1b, "Recording a start"). 0: at once.
  std::chrono::milliseconds start_record_delay{1000};
  // The executors job writes are checked against (admission/): the agent's
  // registry, so a server accepts what its own agent side can run. Must
  // outlive the server node; nullptr = no executor config checks.
  const executor::ExecutorRegistry* executors = nullptr;
  // Test hooks (0 = Raft's defaults): snapshot after this many log entries,
  // keeping this many behind it. The agent reads them from the environment
  // variables CKRON_TEST_RAFT_SNAPSHOT_THRESHOLD / _TRAILING.
  std::uint32_t snapshot_threshold = 0;
  std::uint32_t snapshot_trailing = 0;
  // Starts the agent's graceful shutdown (the REST API's POST /v1/leave).
  std::function<void()> leave;
  // More sinks of the replicated state's events (metrics), added before
  // Raft starts. Must outlive the server node.
  std::vector<replica::EventSink*> state_sinks;
  // Leader-loop phase timings and fires-skipped totals go here (also add it
  // to state_sinks and as a leadership observer). nullptr = none.
  ClusterMetrics* metrics = nullptr;
};

class ServerNode {
 public:
  // Steps 1-4. `members` must outlive the server node.
  // Errors: kUnavailable (store or Raft directory/port unusable),
  // kInvalidArgument (an address Raft cannot use, e.g. not IPv4),
  // kInternal (corrupt Raft state).
  static Result<std::unique_ptr<ServerNode>> Open(ServerNodeOptions options,
                                                  membership::Membership* members);
  ~ServerNode();  // Stop()

  // The services to serve on the gRPC port. Owned by this object.
  std::vector<grpc::Service*> services();

  // REQUIRES: before StartClusterWork. The observer must outlive this.
  void AddLeadershipObserver(LeadershipObserver* observer);

  // The leader's scheduler and dispatcher (manual runs, live output).
  Scheduling& scheduling() { return *scheduling_; }
  // The REST API's view of this server (api/backend.h).
  api::Backend& api_backend();
  // The replicated state's changes for GET /v1/events (api/event_hub.h).
  api::EventHub& events() { return *events_; }
  // The processors reports pass through on the leader; register them
  // before StartClusterWork.
  processor::ProcessorRegistry& processors() { return *processors_; }

  // Step 5: formation (if this server is not yet in a configuration) and the
  // leader loop. REQUIRES: the gRPC server serves services().
  void StartClusterWork();

  void OnMemberEvent(const membership::MemberEvent& event);

  // Before leaving gossip on a graceful shutdown: stops formation and, if
  // this server leads, hands leadership to another voter (bounded wait), so
  // the cluster does not wait for an election timeout.
  void PrepareToLeave();

  // Stops the leader loop (revoking leadership) and Raft. Idempotent. The
  // services keep answering (kCancelled) until the gRPC server stops.
  void Stop();

 private:
  ServerNode();
  void StartLeaderWatch();  // from StartClusterWork

  ServerNodeOptions options_;
  membership::Membership* members_ = nullptr;
  std::unique_ptr<storage::RocksExecutionStore> store_;
  std::unique_ptr<rpc::RestoreCounter> restores_;
  std::unique_ptr<replica::ReplicatedState> state_;
  // A sink of state_; destroyed after Raft, which feeds it.
  std::unique_ptr<api::EventHub> events_;
  std::unique_ptr<raft::Node> raft_;
  std::unique_ptr<rpc::LocalRaft> raft_view_;
  std::unique_ptr<GossipDirectory> directory_;
  std::unique_ptr<rpc::ClusterClient> cluster_client_;
  std::unique_ptr<rpc::LeaderClient> leader_client_;
  std::unique_ptr<rpc::ClusterService> cluster_service_;
  std::unique_ptr<rpc::RaftAdminService> raft_admin_service_;
  std::unique_ptr<processor::ProcessorRegistry> processors_;
  std::unique_ptr<processor::Pipeline> pipeline_;
  std::unique_ptr<rpc::ExecutionsService> executions_service_;
  // Destroyed before the views and the proposer it uses.
  std::unique_ptr<dispatcher::MemberView> member_view_;
  std::unique_ptr<dispatcher::RaftProposer> proposer_;
  std::unique_ptr<Scheduling> scheduling_;
  std::unique_ptr<ServerApiBackend> api_backend_;
  std::vector<LeadershipObserver*> observers_;
  std::unique_ptr<ClusterFormation> formation_;
  std::unique_ptr<LeaderLoop> leader_loop_;
  // Feeds `event: leader` to events_ and samples the skip counters.
  std::unique_ptr<LeaderWatch> leader_watch_;
  bool stopped_ = false;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_SERVER_NODE_H_
