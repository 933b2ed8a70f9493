#include "rpc/cluster_client.h"

#include <grpcpp/grpcpp.h>

#include <functional>
#include <future>

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
  return StatusFromFields(r, address);
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

namespace {

// One asynchronous unary call: what must live until its callback ran.
template <typename Request, typename Response>
struct AsyncCall {
  std::unique_ptr<ckron::v1::Cluster::Stub> stub;
  grpc::ClientContext ctx;
  Request req;
  Response resp;
};

Result<raft::Applied> ProposeResult(const grpc::Status& s, ckron::v1::ProposeResponse& resp,
                                    const std::string& address) {
  if (s.ok()) return raft::Applied{LogIndex(resp.index()), std::move(*resp.mutable_outcome())};
  if (FromRemote(s) || s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return FromGrpc(s, address);
  }
  return Status::OutcomeUnknown("proposal to " + address + " failed in transit (" +
                                FromGrpc(s, address).message() +
                                "); it may or may not have been applied");
}

Result<std::vector<Result<raft::Applied>>> ProposeBatchResult(const grpc::Status& s,
                                                              ckron::v1::ProposeBatchResponse& resp,
                                                              const std::string& address) {
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

// Waits for an asynchronous call's callback (the synchronous forms).
template <typename T>
T Wait(const std::function<void(std::function<void(T)>)>& start) {
  std::promise<T> p;
  std::future<T> f = p.get_future();
  start([&p](T r) { p.set_value(std::move(r)); });
  return f.get();
}

}  // namespace

void ClusterClient::ProposeAsync(const std::string& address, std::string command, bool forwarded,
                                 absl::Time deadline,
                                 std::function<void(Result<raft::Applied>)> done) {
  using Call = AsyncCall<ckron::v1::ProposeRequest, ckron::v1::ProposeResponse>;
  auto call = std::make_shared<Call>();
  call->stub = ckron::v1::Cluster::NewStub(Channel(address));
  SetDeadline(call->ctx, deadline);
  call->req.set_command(std::move(command));
  call->req.set_forwarded(forwarded);
  Call* c = call.get();
  c->stub->async()->Propose(&c->ctx, &c->req, &c->resp,
                            [call = std::move(call), address, done = std::move(done)](
                                grpc::Status s) { done(ProposeResult(s, call->resp, address)); });
}

void ClusterClient::ProposeBatchAsync(
    const std::string& address, std::vector<std::string> commands, absl::Time deadline,
    std::function<void(Result<std::vector<Result<raft::Applied>>>)> done) {
  using Call = AsyncCall<ckron::v1::ProposeBatchRequest, ckron::v1::ProposeBatchResponse>;
  auto call = std::make_shared<Call>();
  call->stub = ckron::v1::Cluster::NewStub(Channel(address));
  SetDeadline(call->ctx, deadline);
  for (std::string& c : commands) call->req.add_commands(std::move(c));
  Call* c = call.get();
  c->stub->async()->ProposeBatch(
      &c->ctx, &c->req, &c->resp,
      [call = std::move(call), address, done = std::move(done)](grpc::Status s) {
        done(ProposeBatchResult(s, call->resp, address));
      });
}

Result<raft::Applied> ClusterClient::Propose(const std::string& address, std::string command,
                                             bool forwarded, absl::Time deadline) {
  return Wait<Result<raft::Applied>>([&](std::function<void(Result<raft::Applied>)> done) {
    ProposeAsync(address, std::move(command), forwarded, deadline, std::move(done));
  });
}

Result<std::vector<Result<raft::Applied>>> ClusterClient::ProposeBatch(
    const std::string& address, std::vector<std::string> commands, absl::Time deadline) {
  using R = Result<std::vector<Result<raft::Applied>>>;
  return Wait<R>([&](std::function<void(R)> done) {
    ProposeBatchAsync(address, std::move(commands), deadline, std::move(done));
  });
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

Result<std::optional<ClusterClient::LiveOutputAnswer>> ClusterClient::LiveOutput(
    const std::string& address, const std::string& job_name, const std::string& execution_id,
    std::uint64_t offset, std::uint64_t generation, absl::Time deadline) {
  auto stub = ckron::v1::Cluster::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, deadline);
  ckron::v1::LiveOutputRequest req;
  req.set_job_name(job_name);
  req.set_execution_id(execution_id);
  req.set_offset(offset);
  req.set_generation(generation);
  ckron::v1::LiveOutputResponse resp;
  const grpc::Status s = stub->LiveOutput(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, address);
  if (!resp.streaming()) return std::optional<LiveOutputAnswer>();
  return std::optional<LiveOutputAnswer>(
      LiveOutputAnswer{.output = std::move(*resp.mutable_output()),
                       .end = resp.end(),
                       .generation = resp.generation()});
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
