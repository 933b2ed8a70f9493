#include "processor/forward.h"

#include <gtest/gtest.h>

namespace ckron::processor {
namespace {

TEST(Forward, GoBoolFormsAreRead) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_TRUE(ForwardEnabled({{"forward", t}})) << t;
    EXPECT_TRUE(ValidateForward({{"forward", t}}).ok()) << t;
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_FALSE(ForwardEnabled({{"forward", f}})) << f;
    EXPECT_TRUE(ValidateForward({{"forward", f}}).ok()) << f;
  }
}

TEST(Forward, AbsentOrEmptyMeansFalseAndIsValid) {
  EXPECT_FALSE(ForwardEnabled({}));
  EXPECT_FALSE(ForwardEnabled({{"forward", ""}}));
  EXPECT_TRUE(ValidateForward({}).ok());
  EXPECT_TRUE(ValidateForward({{"forward", ""}}).ok());
}

TEST(Forward, NonBoolIsFalseAtRunTimeButRefusedOnWrite) {
  EXPECT_FALSE(ForwardEnabled({{"forward", "yes"}}));
  const Status s = ValidateForward({{"forward", "yes"}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("forward: ", 0), 0u) << s.message();
}

}  // namespace
}  // namespace ckron::processor
