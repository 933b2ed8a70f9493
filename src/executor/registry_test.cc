#include "executor/registry.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "executor/builtin/noop.h"
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

// The benchmark hook: "noop" exists only when CKRON_TEST_NOOP_EXECUTOR=1.
TEST(ExecutorRegistry, NoopOnlyWithItsTestHook) {
  ::unsetenv(kNoopExecutorEnv);
  ExecutorRegistry without;
  ASSERT_TRUE(RegisterBuiltins(without).ok());
  EXPECT_FALSE(without.Find("noop").ok());

  ::setenv(kNoopExecutorEnv, "1", 1);
  ExecutorRegistry with;
  const Status registered = RegisterBuiltins(with);
  ::unsetenv(kNoopExecutorEnv);
  ASSERT_TRUE(registered.ok());
  EXPECT_EQ(with.Names(), (std::vector<std::string>{"http", "noop", "shell"}));
}

TEST(NoopExecutor, SucceedsAtOnceAndLogsItsStart) {
  const std::filesystem::path log =
      std::filesystem::temp_directory_path() / ("ckron-noop-" + std::to_string(::getpid()));
  std::filesystem::remove(log);
  {
    NoopExecutor noop(log.string());
    EXPECT_TRUE(noop.Validate({{"anything", "x"}}).ok());
    const ExecuteResponse r =
        noop.Execute({.job_name = JobName("j"), .execution_id = ExecutionId("7-n1")}, {}, {});
    EXPECT_TRUE(FinishExecution(r).success);
    EXPECT_TRUE(r.output.empty());
  }
  std::ifstream in(log);
  std::string job, id;
  long long ns = 0;
  in >> job >> id >> ns;
  EXPECT_EQ(job, "j");
  EXPECT_EQ(id, "7-n1");
  EXPECT_GT(ns, 0);
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace ckron::executor
