// Vocabulary of the raft module's public interface: servers, roles, leader
// information and leadership events. No libraft or libuv type appears here or
// in any other public header of raft/ (raft.h, options.h, state_machine.h).
//
// Thread safety: plain values.
#ifndef CKRON_RAFT_TYPES_H_
#define CKRON_RAFT_TYPES_H_

#include <any>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ids.h"

namespace ckron::raft {

// A server's role in the Raft configuration (Raft thesis §4.2.1 "non-voting
// members"):
//   kVoter:   replicates the log and counts for quorum.
//   kStandby: replicates the log, does not count for quorum.
//   kSpare:   neither; a configuration placeholder (a server just added, not
//             yet promoted).
enum class Role : std::uint8_t { kVoter, kStandby, kSpare };

// "voter", "standby", "spare".
std::string_view RoleName(Role role);

// One member of the Raft configuration.
struct Server {
  RaftId id;
  std::string address;  // "a.b.c.d:port" (IPv4 literal; libraft's TCP transport)
  Role role = Role::kVoter;

  friend bool operator==(const Server&, const Server&) = default;
};

// The local server's Raft state.
enum class State : std::uint8_t { kUnavailable, kFollower, kCandidate, kLeader };

// "unavailable", "follower", "candidate", "leader".
std::string_view StateName(State state);

// Who leads, as far as this server knows. A hint: it can be stale.
struct LeaderInfo {
  RaftId id;
  std::string address;

  friend bool operator==(const LeaderInfo&, const LeaderInfo&) = default;
};

// Published when this server becomes leader or stops being leader. Each
// `kGained{term}` is followed by exactly one `kLost{term}` (at the latest when
// the node stops), so subscribers can pair them.
struct LeadershipEvent {
  enum class Kind : std::uint8_t { kGained, kLost };
  Kind kind;
  Term term;  // the term in which leadership was held

  friend bool operator==(const LeadershipEvent&, const LeadershipEvent&) = default;
};

// A proposal that was committed and applied: what the state machine's
// Apply returned for this command (ApplyOutput), or, for a proposal
// forwarded to the leader, the bytes the leader sent back.
struct Applied {
  LogIndex index;  // the log entry that carried the command
  std::string result;
  // Set only by a state machine in this process (ApplyOutput::object).
  std::any object;
};

// A point-in-time view of the local server, for status pages and tests.
struct NodeInfo {
  RaftId id;
  State state = State::kUnavailable;
  Term term;
  std::optional<LeaderInfo> leader;
  LogIndex last_index;      // last entry in the local log
  LogIndex commit_index;    // highest entry known committed
  LogIndex last_applied;    // highest entry applied to the state machine
  LogIndex snapshot_index;  // last entry covered by the newest local snapshot
};

}  // namespace ckron::raft

#endif  // CKRON_RAFT_TYPES_H_
