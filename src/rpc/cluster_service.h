// ckron.v1.Cluster (proto/ckron/v1/cluster.proto), served by server agents:
// Propose (forwarded to the leader by rpc/leader_client.h), RunJob (manual
// runs on the leader), and local reads
// of the replicated state (GetJob, ListJobs, ListExecutions) and of Raft progress
// (GetStatus). Handlers are thin: decode, one call, encode.
//
// Thread safety: handlers run on gRPC threads. Propose blocks its gRPC
// thread until the command is applied or the deadline passes (at most
// ClusterServiceOptions::max_propose_wait). ProposeBatch -- what followers
// forward API writes in -- holds no thread: it is a callback-API method
// answered from Raft's apply callback.
#ifndef CKRON_RPC_CLUSTER_SERVICE_H_
#define CKRON_RPC_CLUSTER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "ckron/v1/cluster.grpc.pb.h"
#include "replica/replicated_state.h"
#include "rpc/cluster_view.h"
#include "rpc/leader_client.h"
#include "rpc/live_output_offsets.h"

namespace ckron::rpc {

// Counts snapshot restores of the replicated state for GetStatus. Add it to
// the ReplicatedState's sinks before Raft starts. Safe for concurrent use.
class RestoreCounter final : public replica::EventSink {
 public:
  void OnEvents(LogIndex, const std::vector<fsm::Event>&) override {}
  void OnRestored(LogIndex index) override;
  std::uint64_t restored() const { return restored_.load(); }
  LogIndex last_index() const { return LogIndex(last_index_.load()); }

 private:
  std::atomic<std::uint64_t> restored_{0};
  std::atomic<std::uint64_t> last_index_{0};
};

struct ClusterServiceOptions {
  std::string node_name;  // reported by GetStatus
  // Longest a Propose waits when the caller set no (or a longer) deadline;
  // Dkron's Raft apply timeout.
  absl::Duration max_propose_wait = absl::Seconds(30);
  // Most commands one ProposeBatch may carry (more: kInvalidArgument, nothing
  // proposed). Followers send at most ProposalBatcherOptions's bound.
  int max_batch_commands = 1024;
  // Admission of job writes: a PutJob that this check refuses is answered
  // with its error and never proposed (the state machine's own checks still
  // run at apply). Empty = no check beyond the state machine's.
  std::function<Status(const fsm::Job&)> validate_job;
  // Manual runs (RunJob) on this server's dispatcher: kNotLeader when it
  // does not lead. Empty = RunJob answers kFailedPrecondition.
  std::function<Status(const std::string& job_name, bool force, absl::Time deadline)> run_job;
  // The live output of a running execution on this server's dispatcher
  // (LiveOutput); nullopt when it does not stream here. Empty = LiveOutput
  // answers kFailedPrecondition.
  std::function<std::optional<std::string>(const std::string& job_name,
                                           const std::string& execution_id)>
      live_output;
};

class ClusterService final
    : public ckron::v1::Cluster::WithCallbackMethod_ProposeBatch<ckron::v1::Cluster::Service> {
 public:
  // Every pointer must outlive the service.
  ClusterService(ClusterServiceOptions options, LeaderClient* leader_client, LocalRaft* raft,
                 const replica::ReplicatedState* state, const RestoreCounter* restores);

  grpc::Status Propose(grpc::ServerContext* context, const ckron::v1::ProposeRequest* request,
                       ckron::v1::ProposeResponse* response) override;
  grpc::ServerUnaryReactor* ProposeBatch(grpc::CallbackServerContext* context,
                                         const ckron::v1::ProposeBatchRequest* request,
                                         ckron::v1::ProposeBatchResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context, const ckron::v1::GetJobRequest* request,
                      ckron::v1::GetJobResponse* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context, const ckron::v1::ListJobsRequest* request,
                        ckron::v1::ListJobsResponse* response) override;
  grpc::Status GetStatus(grpc::ServerContext* context, const ckron::v1::GetStatusRequest* request,
                         ckron::v1::GetStatusResponse* response) override;
  grpc::Status ListExecutions(grpc::ServerContext* context,
                              const ckron::v1::ListExecutionsRequest* request,
                              ckron::v1::ListExecutionsResponse* response) override;
  grpc::Status RunJob(grpc::ServerContext* context, const ckron::v1::RunJobRequest* request,
                      ckron::v1::RunJobResponse* response) override;
  grpc::Status LiveOutput(grpc::ServerContext* context, const ckron::v1::LiveOutputRequest* request,
                          ckron::v1::LiveOutputResponse* response) override;

 private:
  const ClusterServiceOptions options_;
  LeaderClient* const leader_client_;
  LocalRaft* const raft_;
  const replica::ReplicatedState* const state_;
  const RestoreCounter* const restores_;
  // Numbers live output bytes so followers fetch only what is new.
  LiveOutputPositions live_positions_;
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_CLUSTER_SERVICE_H_
