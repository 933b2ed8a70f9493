// ckron.v1.Agent, served by every agent (proto/ckron/v1/admin.proto):
// Leave and Members.
//
// Thread safety: handlers run on gRPC threads; the callbacks given here must
// be safe to call from any thread and must not block.
#ifndef CKRON_RPC_AGENT_SERVICE_H_
#define CKRON_RPC_AGENT_SERVICE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ckron/v1/admin.grpc.pb.h"

namespace ckron::rpc {

// One gossip member as the Members RPC reports it.
struct MemberView {
  std::string name;
  std::string addr;
  std::uint16_t port = 0;
  std::string status;  // "alive", "leaving", "left", "failed"
  std::map<std::string, std::string> tags;
};

class AgentService final : public ckron::v1::Agent::Service {
 public:
  // `on_leave` asks the agent to leave the cluster and shut down; it only
  // records the request (the shutdown runs on the agent's main thread after
  // this call has been answered). `members` lists the gossip members (empty
  // function: none).
  explicit AgentService(std::function<void()> on_leave,
                        std::function<std::vector<MemberView>()> members = {});

  grpc::Status Leave(grpc::ServerContext* context, const ckron::v1::LeaveRequest* request,
                     ckron::v1::LeaveResponse* response) override;
  grpc::Status Members(grpc::ServerContext* context, const ckron::v1::MembersRequest* request,
                       ckron::v1::MembersResponse* response) override;

 private:
  const std::function<void()> on_leave_;
  const std::function<std::vector<MemberView>()> members_;
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_AGENT_SERVICE_H_
