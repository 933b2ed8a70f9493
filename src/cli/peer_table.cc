#include "cli/peer_table.h"

#include <algorithm>
#include <array>

namespace ckron::cli {

std::string FormatPeerTable(const std::vector<rpc::RaftPeer>& peers) {
  using Row = std::array<std::string, 5>;
  std::vector<Row> rows = {{"Node", "ID", "Address", "State", "Voter"}};
  for (const rpc::RaftPeer& p : peers) {
    rows.push_back(
        {p.node, p.id, p.address, p.leader ? "leader" : "follower", p.voter ? "true" : "false"});
  }
  std::array<std::size_t, 5> width{};
  for (const Row& r : rows) {
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const Row& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace ckron::cli
