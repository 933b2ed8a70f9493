#include "executor/runner.h"

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

// An executor for the runner's own logic: it announces that it started and
// then runs until released or stopped, honouring the stop token the way
// every executor must.
class GateExecutor final : public Executor {
 public:
  Status Validate(const ExecutorConfig&) const override { return OkStatus(); }

  ExecuteResponse Execute(const ExecuteRequest& request, const OutputSink& sink,
                          std::stop_token stop) override {
    {
      std::lock_guard lock(mu_);
      ++started_;
    }
    cv_.notify_all();
    if (sink) sink("started " + request.execution_id.value() + "\n");
    std::unique_lock lock(mu_);
    const bool released = cv_.wait(lock, stop, [this] { return released_; });
    if (!released) return {"started\n", "cancelled", std::nullopt};
    return {"started\ndone\n", "", 0};
  }

  void WaitStarted(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return started_ >= n; });
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  int started_ = 0;
  bool released_ = false;
};

ExecuteRequest Request(const std::string& id) {
  return {JobName("job"), ExecutionId(id), {}};
}

struct Fixture {
  Fixture() { EXPECT_TRUE(registry.Register("gate", gate).ok()); }
  std::shared_ptr<GateExecutor> gate = std::make_shared<GateExecutor>();
  ExecutorRegistry registry;
};

TEST(Runner, RunsTheNamedExecutorAndFinishesItsResult) {
  Fixture f;
  Runner runner(&f.registry);
  f.gate->Release();
  std::string streamed;
  Result<ExecutionResult> r =
      runner.Run("gate", Request("e1"), [&](std::string_view c) { streamed += c; });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->success);
  EXPECT_EQ(r->output, "started\ndone\n");
  EXPECT_EQ(streamed, "started e1\n");
  EXPECT_TRUE(runner.Running().empty());
}

TEST(Runner, UnknownExecutorIsAnErrorTheAgentMapsToDkronsResult) {
  Fixture f;
  Runner runner(&f.registry);
  Result<ExecutionResult> r = runner.Run("nope", Request("e1"), {});
  ASSERT_EQ(r.status().code(), StatusCode::kNotFound);
  const ExecutionResult stored = FailedExecution(r.status());
  EXPECT_FALSE(stored.success);
  EXPECT_EQ(stored.output, "grpc_agent: Specified executor is not present");
  EXPECT_EQ(runner.Run("", Request("e1"), {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(Runner, CancelByIdStopsARunningExecution) {
  Fixture f;
  Runner runner(&f.registry);
  std::optional<Result<ExecutionResult>> result;
  std::thread t([&] { result.emplace(runner.Run("gate", Request("e1"), {})); });
  f.gate->WaitStarted(1);
  ASSERT_EQ(runner.Running().size(), 1u);
  EXPECT_EQ(runner.Running()[0].execution_id, ExecutionId("e1"));
  EXPECT_EQ(runner.Running()[0].executor, "gate");
  EXPECT_EQ(runner.Cancel(JobName("job"), ExecutionId("other")).code(), StatusCode::kNotFound);
  EXPECT_EQ(runner.Cancel(JobName("other"), ExecutionId("e1")).code(), StatusCode::kNotFound);
  ASSERT_TRUE(runner.Cancel(JobName("job"), ExecutionId("e1")).ok());
  t.join();
  ASSERT_TRUE(result->ok());
  EXPECT_FALSE((*result)->success);
  EXPECT_EQ((*result)->output, "cancelled\nstarted\n");
}

TEST(Runner, TheCallersStopTokenCancelsToo) {
  Fixture f;
  Runner runner(&f.registry);
  std::stop_source caller;
  std::optional<Result<ExecutionResult>> result;
  std::thread t([&] { result.emplace(runner.Run("gate", Request("e1"), {}, caller.get_token())); });
  f.gate->WaitStarted(1);
  caller.request_stop();
  t.join();
  EXPECT_FALSE((*result)->success);
}

TEST(Runner, AnExecutionIdRunsOnceAtATimePerJob) {
  Fixture f;
  Runner runner(&f.registry);
  std::thread t([&] { EXPECT_TRUE(runner.Run("gate", Request("e1"), {}).ok()); });
  f.gate->WaitStarted(1);
  EXPECT_EQ(runner.Run("gate", Request("e1"), {}).status().code(), StatusCode::kAlreadyExists);
  // Ids are unique only within a job (two jobs firing at the same instant
  // on one node share "<nanos>-<node>"): another job's e1 runs.
  std::thread t2([&] {
    EXPECT_TRUE(runner.Run("gate", {JobName("other"), ExecutionId("e1"), {}}, {}).ok());
  });
  f.gate->WaitStarted(2);
  EXPECT_EQ(runner.Running().size(), 2u);
  f.gate->Release();
  t.join();
  t2.join();
}

TEST(Runner, ShutdownWaitsForRunningExecutionsWithinTheGrace) {
  Fixture f;
  Runner runner(&f.registry, {.shutdown_grace = absl::Hours(1)});
  std::optional<Result<ExecutionResult>> result;
  std::thread t([&] { result.emplace(runner.Run("gate", Request("e1"), {})); });
  f.gate->WaitStarted(1);
  std::thread releaser([&] {
    // New work is refused once shutdown has begun; then let the job finish.
    while (runner.Run("nope", Request("e2"), {}).status().code() != StatusCode::kUnavailable) {
      std::this_thread::yield();
    }
    f.gate->Release();
  });
  EXPECT_TRUE(runner.Shutdown().ok());
  releaser.join();
  t.join();
  EXPECT_TRUE((*result)->success);  // it finished on its own, not cancelled
}

TEST(Runner, ShutdownCancelsWhatOutlivesTheGrace) {
  Fixture f;
  Runner runner(&f.registry, {.shutdown_grace = absl::ZeroDuration()});
  std::optional<Result<ExecutionResult>> result;
  std::thread t([&] { result.emplace(runner.Run("gate", Request("e1"), {})); });
  f.gate->WaitStarted(1);
  EXPECT_TRUE(runner.Shutdown().ok());
  t.join();
  EXPECT_FALSE((*result)->success);
  EXPECT_EQ(runner.Run("gate", Request("e3"), {}).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ckron::executor
