// ckron.v1.Executions (proto/ckron/v1/run.proto), served by servers: agents
// report results (Report) and keep their running executions alive
// (RenewLeases). Report runs on the leader only, because the job's
// processors run there before the result is committed (dkron-spec §4.1
// step 8; style.md §7: the handler decodes, makes one domain call, encodes).
// A follower forwards a Report to the leader with `forwarded` set (the
// receiver never forwards again), as Cluster.Propose is forwarded.
//
// Report is idempotent by (job, execution id): a result already committed
// is acknowledged without running the processors again.
//
// ReportMany is Report for a batch, with one answer per result. On the
// leader it reads the state once, runs each job's processors, and queues
// every ExecutionFinished to Raft at once (they share log entries); the
// call is answered from the apply callback, so no thread waits for the
// commit. A follower forwards the whole batch to the leader with the
// gRPC callback API and relays its answers; it does not retry (the agent's
// reporter does, following the leader hint). If the leader does not serve
// ReportMany (an older version), the follower answers UNIMPLEMENTED, and
// the agent falls back to Report.
//
// Thread safety: Report and RenewLeases run on gRPC threads and block
// theirs until the command is applied or the deadline passes (at most
// ExecutionsServiceOptions::max_wait); ReportMany blocks no thread.
#ifndef CKRON_RPC_EXECUTIONS_SERVICE_H_
#define CKRON_RPC_EXECUTIONS_SERVICE_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "ckron/v1/run.grpc.pb.h"
#include "common/clock.h"
#include "fsm/job.h"
#include "replica/replicated_state.h"
#include "rpc/cluster_view.h"
#include "rpc/leader_client.h"

namespace ckron::rpc {

// What the leader does to a result before committing it: the job's
// processors (processor::Pipeline::Process). Must be safe for concurrent use.
using ResultHook = std::function<fsm::Execution(const fsm::Job&, fsm::Execution)>;

// Most results one ReportMany call may carry.
inline constexpr int kMaxReportBatch = 4096;

struct ExecutionsServiceOptions {
  // RenewLeases extends leases to now + lease (the proposing server's
  // clock). Must match the dispatcher's lease.
  absl::Duration lease = absl::Seconds(30);
  // Longest a call waits when the caller set no (or a longer) deadline.
  absl::Duration max_wait = absl::Seconds(30);
  // Wait before retrying a forward after the leader moved; doubled up to
  // 250 ms.
  absl::Duration initial_backoff = absl::Milliseconds(10);
};

class ExecutionsService final
    : public ckron::v1::Executions::WithCallbackMethod_ReportMany<ckron::v1::Executions::Service> {
 public:
  // Every pointer must outlive the service.
  ExecutionsService(ExecutionsServiceOptions options, LeaderClient* leader_client, LocalRaft* raft,
                    const ServerDirectory* directory, const replica::ReplicatedState* state,
                    ResultHook hook, const Clock* clock);
  ~ExecutionsService() override;

  // Errors (status_codec.h): kInvalidArgument (no job name, id or
  // finished_at), kNotFound (the job was deleted), kNotLeader (forwarded
  // to a server that does not lead), kUnavailable (no leader reachable by
  // the deadline), kOutcomeUnknown (retry: idempotent).
  grpc::Status Report(grpc::ServerContext* context, const ckron::v1::ReportRequest* request,
                      ckron::v1::ReportResponse* response) override;
  // Per result as Report, plus kInvalidArgument for the whole call when it
  // carries more than kMaxReportBatch results.
  grpc::ServerUnaryReactor* ReportMany(grpc::CallbackServerContext* context,
                                       const ckron::v1::ReportManyRequest* request,
                                       ckron::v1::ReportManyResponse* response) override;
  // Proposes RenewLeases{node, executions, now + lease} on the leader
  // (forwarded through the LeaderClient). Errors as LeaderClient::Propose.
  grpc::Status RenewLeases(grpc::ServerContext* context,
                           const ckron::v1::RenewLeasesRequest* request,
                           ckron::v1::RenewLeasesResponse* response) override;

 private:
  // On the leader: processors, then ExecutionFinished. kNotLeader if not.
  Status ReportLocal(fsm::Execution execution, absl::Time deadline);
  // One Report forwarded to the leader's Executions service.
  Status Forward(const ckron::v1::ReportRequest& request, absl::Time deadline);
  struct ManyCall;
  // ReportMany's two paths; each finishes `call` exactly once.
  void ReportManyLocal(std::vector<fsm::Execution> executions,
                       const std::shared_ptr<ManyCall>& call);
  void ForwardMany(const ckron::v1::ReportManyRequest& request, absl::Time deadline,
                   const std::shared_ptr<ManyCall>& call);
  ckron::v1::Executions::Stub* StubFor(const std::string& rpc_addr);

  const ExecutionsServiceOptions options_;
  LeaderClient* const leader_client_;
  LocalRaft* const raft_;
  const ServerDirectory* const directory_;
  const replica::ReplicatedState* const state_;
  const ResultHook hook_;
  const Clock* const clock_;

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<ckron::v1::Executions::Stub>> stubs_;  // guarded by mu_
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_EXECUTIONS_SERVICE_H_
