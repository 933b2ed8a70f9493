#include "rpc/executions_service.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "fsm/codec.h"
#include "replica/replicated_state.h"
#include "rpc/cluster_client.h"
#include "rpc/status_codec.h"

namespace ckron::rpc {
namespace {

absl::Time DeadlineOf(const grpc::ServerContextBase* context, absl::Time now, absl::Duration max) {
  return std::min(absl::FromChrono(context->deadline()), now + max);
}

// A reported result, decoded and checked.
Result<fsm::Execution> DecodeReport(const ckron::v1::fsm::Execution& proto) {
  auto e = fsm::DecodeExecution(proto.SerializeAsString());
  if (!e.ok()) return e.status();
  if (e->job_name.empty() || e->id.empty() || !e->finished_at) {
    return Status::InvalidArgument("a report needs the job name, the id and finished_at");
  }
  return e;
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
  auto e = DecodeReport(request->execution());
  if (!e.ok()) return ToGrpc(e.status());
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
  return replica::OutcomeOf(*r).status;
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

// One ReportMany call in progress: an answer per result, filled as they
// come; `todo` marks the results still waiting for the leader's verdict.
struct ExecutionsService::ManyCall {
  grpc::ServerUnaryReactor* reactor = nullptr;
  ckron::v1::ReportManyResponse* response = nullptr;
  std::vector<Status> results;
  std::vector<bool> todo;

  void Answer(const Status& status) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (todo[i]) results[i] = status;
    }
    Finish();
  }
  void Finish() {
    for (const Status& s : results) StatusToFields(s, response->add_results());
    reactor->Finish(grpc::Status::OK);
  }
};

grpc::ServerUnaryReactor* ExecutionsService::ReportMany(grpc::CallbackServerContext* context,
                                                        const ckron::v1::ReportManyRequest* request,
                                                        ckron::v1::ReportManyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const int n = request->executions_size();
  if (n > kMaxReportBatch) {
    reactor->Finish(
        ToGrpc(Status::InvalidArgument(std::to_string(n) + " results in one ReportMany (at most " +
                                       std::to_string(kMaxReportBatch) + ")")));
    return reactor;
  }
  auto call = std::make_shared<ManyCall>();
  call->reactor = reactor;
  call->response = response;
  call->results.resize(static_cast<std::size_t>(n));
  call->todo.assign(static_cast<std::size_t>(n), false);
  std::vector<fsm::Execution> executions(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(i);
    auto e = DecodeReport(request->executions(i));
    if (!e.ok()) {
      call->results[k] = e.status();
      continue;
    }
    executions[k] = std::move(*e);
    call->todo[k] = true;
  }
  if (raft_->IsLeader()) {
    ReportManyLocal(std::move(executions), call);
  } else if (request->forwarded()) {
    const auto leader = raft_->Leader();
    call->Answer(
        Status::NotLeader(leader ? leader->address : "", "this server does not lead the cluster"));
  } else {
    ForwardMany(*request, DeadlineOf(context, clock_->Now(), options_.max_wait), call);
  }
  return reactor;
}

void ExecutionsService::ReportManyLocal(std::vector<fsm::Execution> executions,
                                        const std::shared_ptr<ManyCall>& call) {
  std::vector<std::shared_ptr<const fsm::Job>> jobs(executions.size());
  state_->Read([&](const fsm::State& s) {
    for (std::size_t i = 0; i < executions.size(); ++i) {
      if (!call->todo[i]) continue;
      const fsm::Execution& e = executions[i];
      jobs[i] = s.ShareJob(e.job_name);
      if (!jobs[i]) {
        call->results[i] =
            Status::NotFound("received execution done for a deleted job \"" + e.job_name + "\"");
        call->todo[i] = false;
        continue;
      }
      if (s.running().contains({e.job_name, e.id})) continue;  // the usual case: not committed
      auto stored = s.executions().Get(e.job_name, e.id);
      if (stored && !stored->running()) call->todo[i] = false;  // a retried report: processed once
    }
  });
  std::vector<std::string> commands;
  std::vector<std::size_t> index;  // commands[k] answers results[index[k]]
  const absl::Time now = clock_->Now();
  for (std::size_t i = 0; i < executions.size(); ++i) {
    if (!call->todo[i]) continue;
    fsm::Execution processed =
        hook_ ? hook_(*jobs[i], std::move(executions[i])) : std::move(executions[i]);
    commands.push_back(replica::EncodeCommand(now, fsm::ExecutionFinished{std::move(processed)}));
    index.push_back(i);
  }
  if (commands.empty()) {
    call->Finish();
    return;
  }
  leader_client_->ProposeLocalBatchAsync(
      std::move(commands),
      [call, index = std::move(index)](std::vector<Result<raft::Applied>> applied) {
        for (std::size_t k = 0; k < index.size(); ++k) {
          if (k >= applied.size()) {  // never left at the default OK: the agent would drop it
            call->results[index[k]] = Status::Internal("the batch was answered short");
            continue;
          }
          call->results[index[k]] =
              applied[k].ok() ? replica::OutcomeOf(*applied[k]).status : applied[k].status();
        }
        call->Finish();
      });
}

void ExecutionsService::ForwardMany(const ckron::v1::ReportManyRequest& request,
                                    absl::Time deadline, const std::shared_ptr<ManyCall>& call) {
  const auto leader = raft_->Leader();
  if (!leader) return call->Answer(Status::Unavailable("no leader is known"));
  const auto server = directory_->FindServer(leader->id);
  if (!server || server->rpc_addr.empty()) {
    return call->Answer(Status::Unavailable("the leader's gRPC address is not known"));
  }
  struct Forwarded {
    grpc::ClientContext context;
    ckron::v1::ReportManyRequest request;
    ckron::v1::ReportManyResponse response;
  };
  auto f = std::make_shared<Forwarded>();
  f->request = request;
  f->request.set_forwarded(true);
  f->context.set_deadline(absl::ToChronoTime(deadline));
  std::string peer = "leader " + server->name + " at " + server->rpc_addr;
  // The callback touches only `f` and `call`, never this service.
  StubFor(server->rpc_addr)
      ->async()
      ->ReportMany(
          &f->context, &f->request, &f->response,
          [f, call, peer = std::move(peer)](grpc::Status s) {
            if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
              // An older leader: the agent falls back to Report.
              call->reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                                 peer + " does not serve ReportMany"));
              return;
            }
            if (!s.ok()) return call->Answer(FromGrpc(s, peer));
            if (static_cast<std::size_t>(f->response.results_size()) != call->results.size()) {
              return call->Answer(Status::Internal(
                  peer + " answered " + std::to_string(f->response.results_size()) +
                  " results for " + std::to_string(call->results.size())));
            }
            for (std::size_t i = 0; i < call->results.size(); ++i) {
              if (call->todo[i]) {
                call->results[i] = StatusFromFields(f->response.results(static_cast<int>(i)), peer);
              }
            }
            call->Finish();
          });
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
  if (Status s = replica::OutcomeOf(*r).status; !s.ok()) return ToGrpc(s);
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
