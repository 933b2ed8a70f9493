#include "raft/peers_file.h"

#include <set>
#include <string>

#include "nlohmann/json.hpp"
#include "raft/options.h"

namespace ckron::raft {

Status ValidateConfiguration(const std::vector<Server>& servers) {
  if (servers.empty()) return Status::InvalidArgument("raft configuration is empty");
  std::set<std::uint64_t> ids;
  std::set<std::string> addresses;
  bool voter = false;
  for (const Server& s : servers) {
    if (s.id.value() == 0) return Status::InvalidArgument("raft id 0 is reserved");
    CKRON_RETURN_IF_ERROR(ValidateAddress(s.address));
    if (!ids.insert(s.id.value()).second) {
      return Status::InvalidArgument("duplicate raft id " + std::to_string(s.id.value()));
    }
    if (!addresses.insert(s.address).second) {
      return Status::InvalidArgument("duplicate raft address " + s.address);
    }
    voter = voter || s.role == Role::kVoter;
  }
  if (!voter) return Status::InvalidArgument("raft configuration has no voter");
  return OkStatus();
}

Result<std::vector<Server>> ParsePeersJson(std::string_view text) {
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("peers.json is not valid JSON");
  if (!doc.is_array()) return Status::InvalidArgument("peers.json must be a JSON array");
  std::vector<Server> servers;
  for (const auto& e : doc) {
    if (!e.is_object()) return Status::InvalidArgument("peers.json entries must be objects");
    Server s;
    const auto id = e.find("id");
    if (id == e.end()) return Status::InvalidArgument("peers.json entry without \"id\"");
    if (id->is_string() && !id->get<std::string>().empty()) {
      s.id = IdFromNodeName(id->get<std::string>());
    } else if (id->is_number_unsigned()) {
      s.id = RaftId(id->get<std::uint64_t>());
    } else {
      return Status::InvalidArgument("peers.json \"id\" must be a node name or a raft id");
    }
    const auto address = e.find("address");
    if (address == e.end() || !address->is_string()) {
      return Status::InvalidArgument("peers.json entry without a string \"address\"");
    }
    s.address = WithDefaultPort(address->get<std::string>());
    s.role = Role::kVoter;
    if (const auto nv = e.find("non_voter"); nv != e.end()) {
      if (!nv->is_boolean())
        return Status::InvalidArgument("peers.json \"non_voter\" must be a bool");
      if (nv->get<bool>()) s.role = Role::kStandby;
    }
    servers.push_back(std::move(s));
  }
  Status st = ValidateConfiguration(servers);
  if (!st.ok()) return st.WithContext("peers.json");
  return servers;
}

}  // namespace ckron::raft
