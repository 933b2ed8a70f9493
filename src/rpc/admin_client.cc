#include "rpc/admin_client.h"

#include <grpcpp/grpcpp.h>

#include "ckron/v1/admin.grpc.pb.h"
#include "common/go_duration.h"

namespace ckron::rpc {
namespace {

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

void SetDeadline(grpc::ClientContext& ctx, const CallOptions& options) {
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
}

// `unimplemented` is the message for an agent that lacks the service.
Status FromGrpc(const grpc::Status& s, const std::string& address, const CallOptions& options,
                const std::string& unimplemented) {
  const std::string msg = s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      return OkStatus();
    case grpc::StatusCode::UNAVAILABLE:
      return Status::Unavailable("cannot reach the agent at " + address + ": " + msg);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Timeout("the agent at " + address + " did not answer within " +
                             FormatGoDuration(options.timeout));
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::FailedPrecondition(unimplemented);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return Status::FailedPrecondition("the agent at " + address + " refused: " + msg);
    case grpc::StatusCode::NOT_FOUND:
      return Status::NotFound("the agent at " + address + ": " + msg);
    default:
      return Status::Internal("the agent at " + address + " answered error " +
                              std::to_string(static_cast<int>(s.error_code())) + ": " + msg);
  }
}

std::string NoRaft(const std::string& address) {
  return "the agent at " + address +
         " does not serve Raft (it is not a server, or Raft has not started)";
}

}  // namespace

Status RequestLeave(const std::string& address, const CallOptions& options) {
  auto stub = ckron::v1::Agent::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, options);
  ckron::v1::LeaveResponse resp;
  return FromGrpc(stub->Leave(&ctx, ckron::v1::LeaveRequest(), &resp), address, options,
                  "the agent at " + address + " does not serve the Agent service");
}

Result<std::vector<MemberView>> ListMembers(const std::string& address,
                                            const CallOptions& options) {
  auto stub = ckron::v1::Agent::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, options);
  ckron::v1::MembersResponse resp;
  Status s = FromGrpc(stub->Members(&ctx, ckron::v1::MembersRequest(), &resp), address, options,
                      "the agent at " + address + " does not serve the Agent service");
  if (!s.ok()) return s;
  std::vector<MemberView> out;
  for (const auto& m : resp.members()) {
    out.push_back({m.name(),
                   m.addr(),
                   static_cast<std::uint16_t>(m.port()),
                   m.status(),
                   {m.tags().begin(), m.tags().end()}});
  }
  return out;
}

Result<std::vector<RaftPeer>> ListRaftPeers(const std::string& address,
                                            const CallOptions& options) {
  auto stub = ckron::v1::RaftAdmin::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, options);
  ckron::v1::ListPeersResponse resp;
  Status s = FromGrpc(stub->ListPeers(&ctx, ckron::v1::ListPeersRequest(), &resp), address, options,
                      NoRaft(address));
  if (!s.ok()) return s;
  std::vector<RaftPeer> peers;
  for (const auto& p : resp.peers()) {
    peers.push_back(
        {p.id(), p.node(), p.address(), p.state() == ckron::v1::PEER_STATE_LEADER, p.voter()});
  }
  return peers;
}

Status RemoveRaftPeer(const std::string& address, const std::string& peer_id,
                      const CallOptions& options, bool forwarded) {
  auto stub = ckron::v1::RaftAdmin::NewStub(Channel(address));
  grpc::ClientContext ctx;
  SetDeadline(ctx, options);
  ckron::v1::RemovePeerRequest req;
  req.set_id(peer_id);
  req.set_forwarded(forwarded);
  ckron::v1::RemovePeerResponse resp;
  return FromGrpc(stub->RemovePeer(&ctx, req, &resp), address, options, NoRaft(address));
}

}  // namespace ckron::rpc
