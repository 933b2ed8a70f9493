// ckron Status <-> gRPC status across the node-to-node services
// (proto/ckron/v1/cluster.proto): the gRPC code is the nearest match, and
// the binary error details carry ckron's own code and leader hint, so the
// caller gets back exactly the Status the handler returned and can branch on
// the code (kNotLeader, kOutcomeUnknown, ...) rather than on message text.
//
// A gRPC status without those details did not come from a ckron handler: it
// is a transport failure, mapped by FromGrpc as documented below.
//
// Thread safety: pure functions.
#ifndef CKRON_RPC_STATUS_CODEC_H_
#define CKRON_RPC_STATUS_CODEC_H_

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>

#include "common/status.h"

namespace ckron::rpc {

// REQUIRES: nothing; OK maps to grpc::Status::OK.
grpc::Status ToGrpc(const Status& status);

// A handler's status comes back unchanged (code, message, leader hint).
// Transport failures (no ckron details):
//   UNAVAILABLE        -> kUnavailable (peer unreachable, or the connection
//                         broke: the caller decides whether the request may
//                         have been delivered)
//   DEADLINE_EXCEEDED  -> kTimeout
//   CANCELLED          -> kCancelled
//   UNIMPLEMENTED      -> kFailedPrecondition (the peer does not serve it)
//   anything else      -> kInternal
// `peer` names the far end in the messages of transport failures.
Status FromGrpc(const grpc::Status& status, const std::string& peer);

// One item's status inside a batch answer (cluster.proto ProposeResult,
// run.proto ReportResult): any message with `code`, `message` and
// `leader_hint` fields. Code 0 is OK.
template <typename Proto>
void StatusToFields(const Status& status, Proto* out) {
  out->set_code(static_cast<std::uint32_t>(status.code()));
  out->set_message(status.message());
  out->set_leader_hint(status.leader_hint());
}

// The inverse. A code this build does not know (from a newer server) is
// kOutcomeUnknown naming `peer`.
template <typename Proto>
Status StatusFromFields(const Proto& in, const std::string& peer) {
  if (in.code() == 0) return OkStatus();
  constexpr auto kLast = static_cast<std::uint32_t>(StatusCode::kInternal);
  if (in.code() > kLast) {
    return Status::OutcomeUnknown(peer + " answered unknown status code " +
                                  std::to_string(in.code()) + ": " + in.message());
  }
  const auto code = static_cast<StatusCode>(in.code());
  if (code == StatusCode::kNotLeader) return Status::NotLeader(in.leader_hint(), in.message());
  return Status(code, in.message());
}

}  // namespace ckron::rpc

#endif  // CKRON_RPC_STATUS_CODEC_H_
