#include "rpc/executions_client.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <cstddef>

#include "ckron/v1/run.grpc.pb.h"
#include "fsm/codec.h"
#include "rpc/cluster_client.h"
#include "rpc/status_codec.h"

namespace ckron::rpc {

std::shared_ptr<grpc::Channel> ExecutionsClient::Channel(const std::string& address) {
  std::lock_guard lock(mu_);
  auto& ch = channels_[address];
  if (!ch) ch = NewChannel(address);
  return ch;
}

Status ExecutionsClient::Report(const std::string& address, const fsm::Execution& execution,
                                absl::Time deadline) {
  ckron::v1::ReportRequest req;
  if (!req.mutable_execution()->ParseFromString(fsm::EncodeExecution(execution))) {
    return Status::Internal("cannot re-encode execution " + execution.id);
  }
  auto stub = ckron::v1::Executions::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  ckron::v1::ReportResponse resp;
  const grpc::Status s = stub->Report(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, address);
  return OkStatus();
}

std::vector<Status> ExecutionsClient::ReportAll(
    const std::string& address, const std::vector<const fsm::Execution*>& executions,
    absl::Time deadline) {
  struct Call {
    grpc::ClientContext ctx;
    ckron::v1::ReportRequest req;
    ckron::v1::ReportResponse resp;
    grpc::Status status;
  };
  std::vector<Status> results(executions.size());
  std::vector<std::unique_ptr<Call>> calls(executions.size());
  auto stub = ckron::v1::Executions::NewStub(Channel(address));
  std::mutex mu;
  std::condition_variable done_cv;
  std::size_t pending = 0;
  for (std::size_t i = 0; i < executions.size(); ++i) {
    auto call = std::make_unique<Call>();
    if (!call->req.mutable_execution()->ParseFromString(fsm::EncodeExecution(*executions[i]))) {
      results[i] = Status::Internal("cannot re-encode execution " + executions[i]->id);
      continue;
    }
    call->ctx.set_deadline(absl::ToChronoTime(deadline));
    calls[i] = std::move(call);
    ++pending;
  }
  for (auto& call : calls) {
    if (!call) continue;
    Call* c = call.get();
    stub->async()->Report(&c->ctx, &c->req, &c->resp, [&, c](grpc::Status status) {
      std::lock_guard lock(mu);
      c->status = std::move(status);
      if (--pending == 0) done_cv.notify_all();
    });
  }
  {
    // The deadline bounds every call, so this wait ends.
    std::unique_lock lock(mu);
    done_cv.wait(lock, [&] { return pending == 0; });
  }
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (!calls[i]) continue;
    results[i] = calls[i]->status.ok() ? OkStatus() : FromGrpc(calls[i]->status, address);
  }
  return results;
}

std::vector<Status> ExecutionsClient::ReportMany(
    const std::string& address, const std::vector<const fsm::Execution*>& executions,
    absl::Time deadline) {
  bool refused = false;
  {
    std::lock_guard lock(mu_);
    auto it = no_report_many_.find(address);
    if (it != no_report_many_.end()) {
      refused = absl::Now() < it->second;
      if (!refused) no_report_many_.erase(it);
    }
  }
  if (refused) return ReportAll(address, executions, deadline);
  ckron::v1::ReportManyRequest req;
  for (const fsm::Execution* e : executions) {
    if (!req.add_executions()->ParseFromString(fsm::EncodeExecution(*e))) {
      return std::vector<Status>(executions.size(),
                                 Status::Internal("cannot re-encode execution " + e->id));
    }
  }
  auto stub = ckron::v1::Executions::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  ckron::v1::ReportManyResponse resp;
  const grpc::Status s = stub->ReportMany(&ctx, req, &resp);
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    {
      std::lock_guard lock(mu_);
      no_report_many_[address] = absl::Now() + kReportManyRetry;
    }
    return ReportAll(address, executions, deadline);
  }
  if (!s.ok()) return std::vector<Status>(executions.size(), FromGrpc(s, address));
  if (static_cast<std::size_t>(resp.results_size()) != executions.size()) {
    return std::vector<Status>(
        executions.size(),
        Status::Internal(address + " answered " + std::to_string(resp.results_size()) +
                         " results for " + std::to_string(executions.size())));
  }
  std::vector<Status> results;
  results.reserve(executions.size());
  for (const ckron::v1::ReportResult& r : resp.results()) {
    results.push_back(StatusFromFields(r, address));
  }
  return results;
}

Result<absl::Time> ExecutionsClient::RenewLeases(const std::string& address,
                                                 const std::string& node_name,
                                                 const std::vector<LeaseRef>& executions,
                                                 absl::Time deadline) {
  ckron::v1::RenewLeasesRequest req;
  req.set_node_name(node_name);
  for (const LeaseRef& ref : executions) {
    auto* out = req.add_executions();
    out->set_job_name(ref.job_name);
    out->set_id(ref.execution_id);
  }
  auto stub = ckron::v1::Executions::NewStub(Channel(address));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  ckron::v1::RenewLeasesResponse resp;
  const grpc::Status s = stub->RenewLeases(&ctx, req, &resp);
  if (!s.ok()) return FromGrpc(s, address);
  return absl::FromUnixNanos(resp.lease_until_ns());
}

}  // namespace ckron::rpc
