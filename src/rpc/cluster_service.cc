#include "rpc/cluster_service.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "fsm/codec.h"
#include "replica/replicated_state.h"
#include "rpc/status_codec.h"

namespace ckron::rpc {
namespace {

constexpr std::uint32_t kDefaultListLimit = 1000;
constexpr std::uint32_t kMaxListLimit = 10000;

void SetJob(const fsm::Job& job, ckron::v1::fsm::Job* out) {
  out->ParseFromString(fsm::EncodeJob(job));
}

}  // namespace

void RestoreCounter::OnRestored(LogIndex index) {
  last_index_.store(index.value());
  restored_.fetch_add(1);
}

ClusterService::ClusterService(ClusterServiceOptions options, LeaderClient* leader_client,
                               LocalRaft* raft, const replica::ReplicatedState* state,
                               const RestoreCounter* restores)
    : options_(std::move(options)),
      leader_client_(leader_client),
      raft_(raft),
      state_(state),
      restores_(restores) {}

grpc::Status ClusterService::Propose(grpc::ServerContext* context,
                                     const ckron::v1::ProposeRequest* request,
                                     ckron::v1::ProposeResponse* response) {
  const absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), absl::Now() + options_.max_propose_wait);
  if (!request->forwarded()) {
    // Checked once, where the write enters the cluster; a command this build
    // cannot decode is refused rather than replicated.
    auto entry = fsm::DecodeEntry(request->command());
    if (!entry.ok()) {
      return ToGrpc(Status::InvalidArgument("command: " + entry.status().message()));
    }
    if (const auto* put = std::get_if<fsm::PutJob>(&entry->command);
        put != nullptr && options_.validate_job) {
      if (Status s = options_.validate_job(put->job); !s.ok()) return ToGrpc(s);
    }
  }
  auto r = request->forwarded() ? leader_client_->ProposeLocal(request->command(), deadline)
                                : leader_client_->Propose(request->command(), deadline);
  if (!r.ok()) return ToGrpc(r.status());
  response->set_index(r->index.value());
  response->set_outcome(replica::EncodedOutcomeOf(std::move(*r)));
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ClusterService::ProposeBatch(
    grpc::CallbackServerContext* context, const ckron::v1::ProposeBatchRequest* request,
    ckron::v1::ProposeBatchResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->commands_size() > options_.max_batch_commands) {
    reactor->Finish(ToGrpc(Status::InvalidArgument(
        std::to_string(request->commands_size()) + " commands in one batch (at most " +
        std::to_string(options_.max_batch_commands) + ")")));
    return reactor;
  }
  // No deadline here: Raft answers every command (the caller's deadline
  // ends its wait on its side: an unknown outcome there).
  std::vector<std::string> commands(request->commands().begin(), request->commands().end());
  leader_client_->ProposeLocalBatchAsync(
      std::move(commands), [reactor, response](std::vector<Result<raft::Applied>> results) {
        for (Result<raft::Applied>& r : results) {
          ckron::v1::ProposeResult* out = response->add_results();
          if (r.ok()) {
            out->set_index(r->index.value());
            out->set_outcome(replica::EncodedOutcomeOf(std::move(*r)));
          } else {
            StatusToFields(r.status(), out);
          }
        }
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::Status ClusterService::RunJob(grpc::ServerContext* context,
                                    const ckron::v1::RunJobRequest* request,
                                    ckron::v1::RunJobResponse*) {
  if (!options_.run_job) {
    return ToGrpc(Status::FailedPrecondition("this server does not run jobs on request"));
  }
  const absl::Time deadline =
      std::min(absl::FromChrono(context->deadline()), absl::Now() + options_.max_propose_wait);
  return ToGrpc(options_.run_job(request->job_name(), request->force(), deadline));
}

grpc::Status ClusterService::LiveOutput(grpc::ServerContext*,
                                        const ckron::v1::LiveOutputRequest* request,
                                        ckron::v1::LiveOutputResponse* response) {
  if (!options_.live_output) {
    return ToGrpc(Status::FailedPrecondition("this server keeps no live output"));
  }
  if (!raft_->IsLeader()) return ToGrpc(Status::NotLeader("", "this server does not lead"));
  auto output = options_.live_output(request->job_name(), request->execution_id());
  response->set_streaming(output.has_value());
  if (!output) {
    live_positions_.Forget(request->job_name(), request->execution_id());
    return grpc::Status::OK;
  }
  LiveOutputPositions::Answer a =
      live_positions_.Serve(request->job_name(), request->execution_id(), std::move(*output),
                            request->offset(), request->generation(), absl::Now());
  response->set_output(std::move(a.output));
  response->set_end(a.end);
  response->set_generation(a.generation);
  return grpc::Status::OK;
}

grpc::Status ClusterService::GetJob(grpc::ServerContext*, const ckron::v1::GetJobRequest* request,
                                    ckron::v1::GetJobResponse* response) {
  auto job = state_->Read([&](const fsm::State& s) { return s.ShareJob(request->name()); });
  if (!job) return ToGrpc(Status::NotFound("job \"" + request->name() + "\" not found"));
  SetJob(*job, response->mutable_job());
  return grpc::Status::OK;
}

grpc::Status ClusterService::ListExecutions(grpc::ServerContext*,
                                            const ckron::v1::ListExecutionsRequest* request,
                                            ckron::v1::ListExecutionsResponse* response) {
  const bool exists =
      state_->Read([&](const fsm::State& s) { return s.FindJob(request->job_name()) != nullptr; });
  if (!exists) return ToGrpc(Status::NotFound("job \"" + request->job_name() + "\" not found"));
  // The store is safe for concurrent readers; at most 100 records per job.
  const fsm::ExecutionStore* store =
      state_->Read([](const fsm::State& s) { return &s.executions(); });
  store->Scan(request->job_name(), request->with_output(), [&](const fsm::Execution& e) {
    response->add_executions()->ParseFromString(fsm::EncodeExecution(e));
    return true;
  });
  return grpc::Status::OK;
}

grpc::Status ClusterService::ListJobs(grpc::ServerContext*,
                                      const ckron::v1::ListJobsRequest* request,
                                      ckron::v1::ListJobsResponse* response) {
  const std::uint32_t limit =
      request->limit() == 0 ? kDefaultListLimit : std::min(request->limit(), kMaxListLimit);
  std::vector<std::shared_ptr<const fsm::Job>> page;
  bool more = false;
  // Share the jobs under the read lock; encode after releasing it.
  state_->Read([&](const fsm::State& s) {
    s.jobs().ForEachByNameFrom(request->start_after(), [&](const fsm::Job& job) {
      if (job.name == request->start_after()) return true;  // strictly after
      if (page.size() == limit) {
        more = true;
        return false;
      }
      page.push_back(s.ShareJob(job.name));
      return true;
    });
  });
  for (const auto& job : page) SetJob(*job, response->add_jobs());
  if (more) response->set_next_start_after(page.back()->name);
  return grpc::Status::OK;
}

grpc::Status ClusterService::GetStatus(grpc::ServerContext*, const ckron::v1::GetStatusRequest*,
                                       ckron::v1::GetStatusResponse* r) {
  const raft::NodeInfo info = raft_->Info();
  r->set_node_name(options_.node_name);
  r->set_raft_id(info.id.value());
  r->set_state(std::string(raft::StateName(info.state)));
  r->set_term(info.term.value());
  if (info.leader) {
    r->set_leader_id(info.leader->id.value());
    r->set_leader_address(info.leader->address);
  }
  r->set_last_index(info.last_index.value());
  r->set_commit_index(info.commit_index.value());
  r->set_last_applied(info.last_applied.value());
  r->set_snapshot_index(info.snapshot_index.value());
  r->set_jobs(state_->Read([](const fsm::State& s) { return s.jobs().size(); }));
  r->set_snapshots_restored(restores_->restored());
  r->set_last_restored_index(restores_->last_index().value());
  return grpc::Status::OK;
}

}  // namespace ckron::rpc
