#include "rpc/agent_runner_client.h"

#include <grpcpp/grpcpp.h>

#include "ckron/v1/run.grpc.pb.h"
#include "rpc/cluster_client.h"
#include "rpc/status_codec.h"

namespace ckron::rpc {

Status CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                       const std::string& execution_id, absl::Time deadline) {
  auto stub = ckron::v1::AgentRunner::NewStub(NewChannel(rpc_addr));
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(deadline));
  ckron::v1::CancelRequest req;
  req.set_job_name(job_name);
  req.set_execution_id(execution_id);
  ckron::v1::CancelResponse resp;
  const grpc::Status s = stub->Cancel(&ctx, req, &resp);
  return s.ok() ? OkStatus() : FromGrpc(s, rpc_addr);
}

}  // namespace ckron::rpc
