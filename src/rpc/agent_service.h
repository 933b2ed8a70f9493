// ckron.v1.Agent, served by every agent (proto/ckron/v1/admin.proto).
//
// Thread safety: handlers run on gRPC threads; the callbacks given here must
// be safe to call from any thread and must not block.
#ifndef CKRON_RPC_AGENT_SERVICE_H_
#define CKRON_RPC_AGENT_SERVICE_H_

#include <functional>

#include "ckron/v1/admin.grpc.pb.h"

namespace ckron::rpc {

class AgentService final : public ckron::v1::Agent::Service {
 public:
  // `on_leave` asks the agent to leave the cluster and shut down; it only
  // records the request (the shutdown runs on the agent's main thread after
  // this call has been answered).
  explicit AgentService(std::function<void()> on_leave);

  grpc::Status Leave(grpc::ServerContext* context, const ckron::v1::LeaveRequest* request,
                     ckron::v1::LeaveResponse* response) override;

 private:
  const std::function<void()> on_leave_;
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_AGENT_SERVICE_H_
