#include "rpc/executions_client.h"

#include <grpcpp/grpcpp.h>

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
