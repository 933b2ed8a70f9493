#include "common/status.h"

#include <cstdio>
#include <cstdlib>

namespace ckron {

namespace internal {

void CheckFailed(const char* file, int line, std::string_view what) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %.*s\n", file, line, static_cast<int>(what.size()),
               what.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kNotLeader:
      return "not_leader";
    case StatusCode::kTimeout:
      return "timeout";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kOutcomeUnknown:
      return "outcome_unknown";
    case StatusCode::kCancelled:
      return "cancelled";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
  CKRON_CHECK_MSG(code != StatusCode::kOk, "non-OK constructor given kOk");
}

Status Status::NotLeader(std::string leader_hint, std::string message) {
  Status s(StatusCode::kNotLeader, std::move(message));
  s.leader_hint_ = std::move(leader_hint);
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(StatusCodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status s = *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  s.message_ = std::move(msg);
  return s;
}

}  // namespace ckron
