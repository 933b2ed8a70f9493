#include "common/status.h"

#include <gtest/gtest.h>

namespace ckron {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  CKRON_ASSIGN_OR_RETURN(int h, Half(x));
  CKRON_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckPositive(int x) {
  if (x <= 0) return Status::InvalidArgument("not positive");
  return OkStatus();
}

Status Both(int a, int b) {
  CKRON_RETURN_IF_ERROR(CheckPositive(a));
  CKRON_RETURN_IF_ERROR(CheckPositive(b));
  return OkStatus();
}

TEST(Status, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = Status::NotFound("job \"x\" not found");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: job \"x\" not found");
}

TEST(Status, NotLeaderCarriesHint) {
  Status s = Status::NotLeader("10.0.0.2:6868", "not the leader");
  EXPECT_EQ(s.code(), StatusCode::kNotLeader);
  EXPECT_EQ(s.leader_hint(), "10.0.0.2:6868");
}

TEST(Status, WithContextPrefixesMessageAndKeepsOk) {
  EXPECT_EQ(Status::Timeout("raft").WithContext("propose").message(), "propose: raft");
  EXPECT_TRUE(OkStatus().WithContext("x").ok());
}

TEST(Result, AssignOrReturnPropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(Result, ReturnIfErrorStopsAtFirstFailure) {
  EXPECT_TRUE(Both(1, 2).ok());
  EXPECT_EQ(Both(1, -2).code(), StatusCode::kInvalidArgument);
}

TEST(ResultDeathTest, ValueOnErrorAborts) {
  Result<int> r = Status::Internal("boom");
  EXPECT_DEATH((void)r.value(), "value\\(\\) on error Result: internal: boom");
}

}  // namespace
}  // namespace ckron
