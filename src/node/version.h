// What `ckron version` prints and the agent logs at start.
//
// Thread safety: constants.
#ifndef CKRON_NODE_VERSION_H_
#define CKRON_NODE_VERSION_H_

#include <string_view>

namespace ckron::node {

inline constexpr std::string_view kName = "ckron";
// The release's name, as Dkron prints one.
inline constexpr std::string_view kCodename = "Metronome";
// The Serf protocol range the gossip layer speaks (Serf 0.9's: it writes
// version 5 and understands back to 2), shown as Dkron shows Serf's.
inline constexpr int kGossipProtocolMax = 5;
inline constexpr int kGossipProtocolMin = 2;

// The project version from CMake, e.g. "0.1.0".
std::string_view Version();

}  // namespace ckron::node

#endif  // CKRON_NODE_VERSION_H_
