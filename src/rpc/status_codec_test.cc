#include "rpc/status_codec.h"

#include <gtest/gtest.h>

namespace ckron::rpc {
namespace {

TEST(StatusCodec, EveryCkronCodeRoundTripsWithItsMessage) {
  for (auto code : {StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kAlreadyExists,
                    StatusCode::kFailedPrecondition, StatusCode::kTimeout, StatusCode::kUnavailable,
                    StatusCode::kOutcomeUnknown, StatusCode::kCancelled,
                    StatusCode::kResourceExhausted, StatusCode::kInternal}) {
    const Status s(code, "why");
    EXPECT_EQ(FromGrpc(ToGrpc(s), "peer"), s) << StatusCodeName(code);
  }
  EXPECT_TRUE(FromGrpc(ToGrpc(OkStatus()), "peer").ok());
}

TEST(StatusCodec, NotLeaderKeepsItsHint) {
  const Status back = FromGrpc(ToGrpc(Status::NotLeader("10.0.0.2:8190", "not leader")), "p");
  EXPECT_EQ(back.code(), StatusCode::kNotLeader);
  EXPECT_EQ(back.leader_hint(), "10.0.0.2:8190");
  EXPECT_EQ(back.message(), "not leader");
}

TEST(StatusCodec, TransportFailuresWithoutDetailsMapToTransportCodes) {
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "refused"), "a:1").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""), "a:1").code(),
            StatusCode::kTimeout);
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""), "a:1").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::DATA_LOSS, "x"), "a:1").code(),
            StatusCode::kInternal);
  // Details that are not ours are ignored.
  EXPECT_EQ(FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "x", "99\n"), "a:1").code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ckron::rpc
