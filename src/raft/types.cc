#include "raft/types.h"

namespace ckron::raft {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kVoter:
      return "voter";
    case Role::kStandby:
      return "standby";
    case Role::kSpare:
      return "spare";
  }
  return "?";
}

std::string_view StateName(State state) {
  switch (state) {
    case State::kUnavailable:
      return "unavailable";
    case State::kFollower:
      return "follower";
    case State::kCandidate:
      return "candidate";
    case State::kLeader:
      return "leader";
  }
  return "?";
}

}  // namespace ckron::raft
