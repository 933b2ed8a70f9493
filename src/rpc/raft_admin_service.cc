#include "rpc/raft_admin_service.h"

#include <charconv>
#include <optional>

#include "common/log.h"
#include "raft/options.h"
#include "rpc/admin_client.h"
#include "rpc/status_codec.h"

namespace ckron::rpc {
namespace {

std::optional<std::uint64_t> ParseId(const std::string& text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

RaftAdminService::RaftAdminService(RaftAdminOptions options, LocalRaft* raft,
                                   const ServerDirectory* directory)
    : options_(std::move(options)), raft_(raft), directory_(directory) {}

grpc::Status RaftAdminService::ListPeers(grpc::ServerContext*, const ckron::v1::ListPeersRequest*,
                                         ckron::v1::ListPeersResponse* response) {
  const auto leader = raft_->Leader();
  for (const raft::Server& s : raft_->Configuration()) {
    auto* p = response->add_peers();
    p->set_id(std::to_string(s.id.value()));
    if (s.id == raft_->id()) {
      p->set_node(options_.node_name);
    } else if (auto found = directory_->FindServer(s.id)) {
      p->set_node(found->name);
    }
    p->set_address(s.address);
    p->set_state(leader && leader->id == s.id ? ckron::v1::PEER_STATE_LEADER
                                              : ckron::v1::PEER_STATE_FOLLOWER);
    p->set_voter(s.role == raft::Role::kVoter);
  }
  return grpc::Status::OK;
}

grpc::Status RaftAdminService::RemovePeer(grpc::ServerContext*,
                                          const ckron::v1::RemovePeerRequest* request,
                                          ckron::v1::RemovePeerResponse*) {
  return ToGrpc(Remove(request->id(), request->forwarded()));
}

Status RaftAdminService::Remove(const std::string& id_text, bool forwarded) {
  // A number that names a server is its id; anything else is a node name.
  const auto config = raft_->Configuration();
  auto member = [&](RaftId id) {
    for (const raft::Server& s : config) {
      if (s.id == id) return true;
    }
    return false;
  };
  std::optional<RaftId> id;
  if (auto n = ParseId(id_text); n && member(RaftId(*n))) id = RaftId(*n);
  if (!id && member(raft::IdFromNodeName(id_text))) id = raft::IdFromNodeName(id_text);
  if (!id) {
    return Status::NotFound("no server with id or node name \"" + id_text +
                            "\" in the Raft configuration");
  }
  if (raft_->IsLeader()) {
    logging::Get("rpc")->info("raft: removing server {} ({}) on request", id->value(), id_text);
    auto f = raft_->RemoveServer(*id);
    if (f.wait_for(absl::ToChronoNanoseconds(options_.change_timeout)) !=
        std::future_status::ready) {
      return Status::OutcomeUnknown("the removal did not commit within the timeout");
    }
    return f.get();
  }
  if (forwarded) return Status::FailedPrecondition("this server is no longer the leader");
  const auto leader = raft_->Leader();
  if (!leader) return Status::FailedPrecondition("no Raft leader is known; try again");
  const auto server = directory_->FindServer(leader->id);
  if (!server || server->rpc_addr.empty()) {
    return Status::FailedPrecondition("the leader (" + leader->address +
                                      ") is not a known gossip member; ask it directly");
  }
  return RemoveRaftPeer(server->rpc_addr, std::to_string(id->value()),
                        {.timeout = options_.change_timeout}, /*forwarded=*/true);
}

}  // namespace ckron::rpc
