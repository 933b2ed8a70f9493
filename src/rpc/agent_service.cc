#include "rpc/agent_service.h"

#include "common/log.h"

namespace ckron::rpc {

AgentService::AgentService(std::function<void()> on_leave) : on_leave_(std::move(on_leave)) {}

grpc::Status AgentService::Leave(grpc::ServerContext* context, const ckron::v1::LeaveRequest*,
                                 ckron::v1::LeaveResponse*) {
  logging::Get("rpc")->info("leave requested by {}", context->peer());
  on_leave_();
  return grpc::Status::OK;
}

}  // namespace ckron::rpc
