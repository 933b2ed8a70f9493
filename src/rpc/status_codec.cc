#include "rpc/status_codec.h"

#include <charconv>

namespace ckron::rpc {
namespace {

grpc::StatusCode NearestGrpcCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kAlreadyExists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kNotLeader:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case StatusCode::kTimeout:
      return grpc::StatusCode::DEADLINE_EXCEEDED;
    case StatusCode::kUnavailable:
      return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kOutcomeUnknown:
      return grpc::StatusCode::UNKNOWN;
    case StatusCode::kCancelled:
      return grpc::StatusCode::CANCELLED;
    case StatusCode::kResourceExhausted:
      return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kInternal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

constexpr auto kLastCode = static_cast<unsigned>(StatusCode::kInternal);

}  // namespace

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // details: "<code number>\n<leader hint>"
  std::string details =
      std::to_string(static_cast<unsigned>(status.code())) + "\n" + status.leader_hint();
  return grpc::Status(NearestGrpcCode(status.code()), status.message(), std::move(details));
}

Status FromGrpc(const grpc::Status& status, const std::string& peer) {
  if (status.ok()) return OkStatus();
  const std::string& details = status.error_details();
  const auto nl = details.find('\n');
  unsigned code = 0;
  if (nl != std::string::npos) {
    const auto [end, ec] = std::from_chars(details.data(), details.data() + nl, code);
    if (ec == std::errc() && end == details.data() + nl && code > 0 && code <= kLastCode) {
      const auto c = static_cast<StatusCode>(code);
      if (c == StatusCode::kNotLeader) {
        return Status::NotLeader(details.substr(nl + 1), status.error_message());
      }
      return Status(c, status.error_message());
    }
  }
  const std::string msg = peer + ": " + status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      return Status::Unavailable(msg);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return Status::Timeout(peer + ": no answer before the deadline");
    case grpc::StatusCode::CANCELLED:
      return Status::Cancelled(msg);
    case grpc::StatusCode::UNIMPLEMENTED:
      return Status::FailedPrecondition(peer + " does not serve this service");
    default:
      return Status::Internal(msg + " (gRPC code " +
                              std::to_string(static_cast<int>(status.error_code())) + ")");
  }
}

}  // namespace ckron::rpc
