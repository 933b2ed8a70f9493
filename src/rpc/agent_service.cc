#include "rpc/agent_service.h"

#include "common/log.h"

namespace ckron::rpc {

AgentService::AgentService(std::function<void()> on_leave,
                           std::function<std::vector<MemberView>()> members)
    : on_leave_(std::move(on_leave)), members_(std::move(members)) {}

grpc::Status AgentService::Leave(grpc::ServerContext* context, const ckron::v1::LeaveRequest*,
                                 ckron::v1::LeaveResponse*) {
  logging::Get("rpc")->info("leave requested by {}", context->peer());
  on_leave_();
  return grpc::Status::OK;
}

grpc::Status AgentService::Members(grpc::ServerContext*, const ckron::v1::MembersRequest*,
                                   ckron::v1::MembersResponse* response) {
  if (!members_) return grpc::Status::OK;
  for (const MemberView& m : members_()) {
    auto* out = response->add_members();
    out->set_name(m.name);
    out->set_addr(m.addr);
    out->set_port(m.port);
    out->set_status(m.status);
    out->mutable_tags()->insert(m.tags.begin(), m.tags.end());
  }
  return grpc::Status::OK;
}

}  // namespace ckron::rpc
