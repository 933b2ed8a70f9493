#include "rpc/cluster_client.h"

#include <grpcpp/grpcpp.h>

#include "ckron/v1/cluster.grpc.pb.h"
#include "fsm/codec.h"
#include "rpc/status_codec.h"

namespace ckron::rpc {
namespace {

void SetDeadline(grpc::ClientContext& ctx, absl::Time deadline) {
  ctx.set_deadline(absl::ToChronoTime(deadline));
}

bool FromRemote(const grpc::Status& s) {
  return !s.error_details().empty();
}

Result<fsm::Job> JobFromProto(const ckron::v1::fsm::Job& job) {
  return fsm::DecodeJob(job.SerializeAsString());
}

// One command's result of a ProposeBatch answer.
Result<raft::Applied> ProposeResultFromProto(ckron::v1::ProposeResult& r,
                                             const std::string& address) {
  if (r.code() == 0) return raft::Applied{LogIndex(r.index()), std::move(*r.mutable_outcome())};
  constexpr auto kLast = static_cast<std::uint32_t>(StatusCode::kInternal);
  if (r.code() > kLast) {
    // From a newer server with codes this build does not know.
    return Status::OutcomeUnknown(address + " answered unknown status code " +
                                  std::to_string(r.code()) + ": " + r.message());
  }
  const auto code = static_cast<StatusCode>(r.code());
  if (code == StatusCode::kNotLeader) return Status::NotLeader(r.leader_hint(), r.message());
  return Status(code, r.message());
}

}  // namespace

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

std::shared_ptr<grpc::Channel> ClusterClient::Channel(const std::string& address) {
  std::lock_guard lock(mu_);
  auto& ch = channels_[address];
  if (!ch) ch = NewChannel(address);
  return ch;
}

Result<raft::Applied> ClusterClient::Propose(const std::string& address, std::string command,
                                             bool forwarded, absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::ProposeRequest req;
  req.set_command(std::move(command));
  req.set_forwarded(forwarded);
  ckron::v1::ProposeResponse resp;
  const grpc::Status s = stub->Propose(&ctx, req, &resp);
  if (s.ok()) return raft::Applied{LogIndex(resp.index()), std::move(*resp.mutable_outcome())};
  if (FromRemote(s) || s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return FromGrpc(s, address);
  }
  return Status::OutcomeUnknown("proposal to " + address + " failed in transit (" +
                                FromGrpc(s, address).message() +
                                "); it may or may not have been applied");
}

Result<std::vector<Result<raft::Applied>>> ClusterClient::ProposeBatch(
    const std::string& address, std::vector<std::string> commands, absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::ProposeBatchRequest req;
  for (std::string& c : commands) req.add_commands(std::move(c));
  ckron::v1::ProposeBatchResponse resp;
  const grpc::Status s = stub->ProposeBatch(&ctx, req, &resp);
  if (!s.ok()) {
    if (FromRemote(s) || s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return FromGrpc(s, address);
    }
    return Status::OutcomeUnknown("proposals to " + address + " failed in transit (" +
                                  FromGrpc(s, address).message() +
                                  "); they may or may not have been applied");
  }
  std::vector<Result<raft::Applied>> out;
  out.reserve(static_cast<std::size_t>(resp.results_size()));
  for (ckron::v1::ProposeResult& r : *resp.mutable_results()) {
    out.push_back(ProposeResultFromProto(r, address));
  }
  return out;
}

Result<fsm::Job> ClusterClient::GetJob(const std::string& address, const std::string& name,
                                       absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::GetJobRequest req;
  req.set_name(name);
  ckron::v1::GetJobResponse resp;
  const grpc::Status s = stub->GetJob(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, address);
  return JobFromProto(resp.job());
}

Result<std::vector<fsm::Execution>> ClusterClient::ListExecutions(const std::string& address,
                                                                  const std::string& job_name,
                                                                  bool with_output,
                                                                  absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::ListExecutionsRequest req;
  req.set_job_name(job_name);
  req.set_with_output(with_output);
  ckron::v1::ListExecutionsResponse resp;
  const grpc::Status s = stub->ListExecutions(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, address);
  std::vector<fsm::Execution> out;
  out.reserve(static_cast<std::size_t>(resp.executions_size()));
  for (const auto& e : resp.executions()) {
    CKRON_ASSIGN_OR_RETURN(fsm::Execution x, fsm::DecodeExecution(e.SerializeAsString()));
    out.push_back(std::move(x));
  }
  return out;
}

Result<JobPage> ClusterClient::ListJobs(const std::string& address, const std::string& start_after,
                                        std::uint32_t limit, absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::ListJobsRequest req;
  req.set_start_after(start_after);
  req.set_limit(limit);
  ckron::v1::ListJobsResponse resp;
  const grpc::Status s = stub->ListJobs(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, address);
  JobPage page;
  page.next_start_after = resp.next_start_after();
  for (const auto& j : resp.jobs()) {
    CKRON_ASSIGN_OR_RETURN(fsm::Job job, JobFromProto(j));
    page.jobs.push_back(std::move(job));
  }
  return page;
}

Status ClusterClient::RunJob(const std::string& address, const std::string& job_name, bool force,
                             absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::RunJobRequest req;
  req.set_job_name(job_name);
  req.set_force(force);
  ckron::v1::RunJobResponse resp;
  const grpc::Status s = stub->RunJob(&ctx, req, &resp);
  return s.ok() ? OkStatus() : FromGrpc(s, address);
}

Result<std::optional<std::string>> ClusterClient::LiveOutput(const std::string& address,
                                                             const std::string& job_name,
                                                             const std::string& execution_id,
                                                             absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::LiveOutputRequest req;
  req.set_job_name(job_name);
  req.set_execution_id(execution_id);
  ckron::v1::LiveOutputResponse resp;
  const grpc::Status s = stub->LiveOutput(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, address);
  if (!resp.streaming()) return std::optional<std::string>();
  return std::optional<std::string>(std::move(*resp.mutable_output()));
}

Result<ServerStatus> ClusterClient::GetStatus(const std::string& address, absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::GetStatusResponse r;
  const grpc::Status s = stub->GetStatus(&ctx, ckron::v1::GetStatusRequest(), &r);
  if (!s.ok()) return FromGrpc(s, address);
  return ServerStatus{.node_name = r.node_name(),
                      .raft_id = RaftId(r.raft_id()),
                      .state = r.state(),
                      .term = Term(r.term()),
                      .leader_id = RaftId(r.leader_id()),
                      .leader_address = r.leader_address(),
                      .last_index = LogIndex(r.last_index()),
                      .commit_index = LogIndex(r.commit_index()),
                      .last_applied = LogIndex(r.last_applied()),
                      .snapshot_index = LogIndex(r.snapshot_index()),
                      .jobs = r.jobs(),
                      .snapshots_restored = r.snapshots_restored(),
                      .last_restored_index = LogIndex(r.last_restored_index())};
}

}  // namespace ckron::rpc
