#include "rpc/executions_service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "fsm/codec.h"
#include "rpc/cluster_client.h"
#include "rpc/status_codec.h"

namespace ckron::rpc {
namespace {

absl::Time DeadlineOf(const grpc::ServerContext* context, absl::Time now, absl::Duration max) {
  return std::min(absl::FromChrono(context->deadline()), now + max);
}

}  // namespace

ExecutionsService::ExecutionsService(ExecutionsServiceOptions options, LeaderClient* leader_client,
                                     LocalRaft* raft, const ServerDirectory* directory,
                                     const replica::ReplicatedState* state, ResultHook hook,
                                     const Clock* clock)
    : options_(options),
      leader_client_(leader_client),
      raft_(raft),
      directory_(directory),
      state_(state),
      hook_(std::move(hook)),
      clock_(clock) {}

ExecutionsService::~ExecutionsService() = default;

grpc::Status ExecutionsService::Report(grpc::ServerContext* context,
                                       const ckron::v1::ReportRequest* request,
                                       ckron::v1::ReportResponse*) {
  auto e = fsm::DecodeExecution(request->execution().SerializeAsString());
  if (!e.ok()) return ToGrpc(e.status());
  if (e->job_name.empty() || e->id.empty() || !e->finished_at) {
    return ToGrpc(Status::InvalidArgument("a report needs the job name, the id and finished_at"));
  }
  const absl::Time deadline = DeadlineOf(context, clock_->Now(), options_.max_wait);
  if (request->forwarded()) return ToGrpc(ReportLocal(std::move(*e), deadline));
  // Retry while the leader moves, as LeaderClient does for proposals.
  absl::Duration backoff = options_.initial_backoff;
  for (;;) {
    Status s = raft_->IsLeader() ? ReportLocal(*e, deadline) : Forward(*request, deadline);
    const bool retry = s.code() == StatusCode::kNotLeader || s.code() == StatusCode::kUnavailable;
    if (!retry || clock_->Now() + backoff >= deadline) return ToGrpc(s);
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
    backoff = std::min(backoff * 2, absl::Milliseconds(250));
  }
}

Status ExecutionsService::ReportLocal(fsm::Execution execution, absl::Time deadline) {
  std::shared_ptr<const fsm::Job> job;
  bool committed = false;
  state_->Read([&](const fsm::State& s) {
    job = s.ShareJob(execution.job_name);
    auto stored = s.executions().Get(execution.job_name, execution.id);
    committed = stored && !stored->running();
  });
  if (!job) {
    return Status::NotFound("received execution done for a deleted job \"" + execution.job_name +
                            "\"");
  }
  if (committed) return OkStatus();  // a retried report: processed once
  if (!raft_->IsLeader()) return Status::NotLeader("", "this server does not lead the cluster");
  fsm::Execution processed = hook_ ? hook_(*job, std::move(execution)) : std::move(execution);
  auto r = leader_client_->ProposeLocal(
      replica::EncodeCommand(clock_->Now(), fsm::ExecutionFinished{std::move(processed)}),
      deadline);
  if (!r.ok()) return r.status();
  return fsm::DecodeOutcome(r->result).status;
}

Status ExecutionsService::Forward(const ckron::v1::ReportRequest& request, absl::Time deadline) {
  const auto leader = raft_->Leader();
  if (!leader) return Status::Unavailable("no leader is known");
  const auto server = directory_->FindServer(leader->id);
  if (!server || server->rpc_addr.empty()) {
    return Status::Unavailable("the leader's gRPC address is not known");
  }
  ckron::v1::ReportRequest forwarded = request;
  forwarded.set_forwarded(true);
  ckron::v1::ReportResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  return FromGrpc(StubFor(server->rpc_addr)->Report(&context, forwarded, &response),
                  "leader " + server->name + " at " + server->rpc_addr);
}

grpc::Status ExecutionsService::RenewLeases(grpc::ServerContext* context,
                                            const ckron::v1::RenewLeasesRequest* request,
                                            ckron::v1::RenewLeasesResponse* response) {
  const absl::Time now = clock_->Now();
  fsm::RenewLeases cmd;
  cmd.node_name = request->node_name();
  cmd.until = now + options_.lease;
  for (const auto& ref : request->executions()) {
    cmd.executions.emplace_back(ref.job_name(), ref.id());
  }
  const absl::Time deadline = DeadlineOf(context, now, options_.max_wait);
  std::string command = replica::EncodeCommand(now, std::move(cmd));
  auto r = request->forwarded() ? leader_client_->ProposeLocal(std::move(command), deadline)
                                : leader_client_->Propose(std::move(command), deadline);
  if (!r.ok()) return ToGrpc(r.status());
  if (Status s = fsm::DecodeOutcome(r->result).status; !s.ok()) return ToGrpc(s);
  response->set_lease_until_ns(absl::ToUnixNanos(now + options_.lease));
  return grpc::Status::OK;
}

ckron::v1::Executions::Stub* ExecutionsService::StubFor(const std::string& rpc_addr) {
  std::lock_guard lock(mu_);
  auto& stub = stubs_[rpc_addr];
  if (!stub) stub = ckron::v1::Executions::NewStub(NewChannel(rpc_addr));
  return stub.get();
}

}  // namespace ckron::rpc
