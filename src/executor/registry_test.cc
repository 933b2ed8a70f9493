#include "executor/registry.h"

#include "executor/builtins.h"
#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

TEST(ExecutorRegistry, BuiltinsAreShellAndHttp) {
  ExecutorRegistry registry;
  ASSERT_TRUE(RegisterBuiltins(registry).ok());
  EXPECT_EQ(registry.Names(), (std::vector<std::string>{"http", "shell"}));
  EXPECT_TRUE(registry.Find("shell").ok());
  EXPECT_TRUE(registry.Find("http").ok());
}

TEST(ExecutorRegistry, UnknownExecutorIsDkronsNotPresentError) {
  ExecutorRegistry registry;
  ASSERT_TRUE(RegisterBuiltins(registry).ok());
  const Status missing = registry.Find("kafka").status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "grpc_agent: Specified executor is not present");
  const Status empty = registry.Find("").status();
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "grpc_agent: No executor defined, nothing to do");
}

TEST(ExecutorRegistry, NamesAreRegisteredOnce) {
  ExecutorRegistry registry;
  ASSERT_TRUE(RegisterBuiltins(registry).ok());
  EXPECT_EQ(registry.Register("shell", std::make_shared<ShellExecutor>()).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.Register("", std::make_shared<ShellExecutor>()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register("x", nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(ExecutorRegistry, ValidatesWithTheNamedExecutor) {
  ExecutorRegistry registry;
  ASSERT_TRUE(RegisterBuiltins(registry).ok());
  EXPECT_EQ(registry.Validate("shell", {{"timeout", "x"}}).message(),
            "Error parsing job timeout value");
  EXPECT_EQ(registry.Validate("http", {}).message(), "url is empty");
  EXPECT_TRUE(registry.Validate("shell", {{"command", "true"}}).ok());
  // Plugins may live only on the agents that run the job; Dkron accepts
  // these too.
  EXPECT_TRUE(registry.Validate("kafka", {}).ok());
  EXPECT_TRUE(registry.Validate("", {}).ok());
}

}  // namespace
}  // namespace ckron::executor
