// The table of local executions with in-test executors and a manual clock:
// at-most-once per id, the memory of recent results, the running bound.
#include "agent/run_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "executor/registry.h"
#include "executor/runner.h"

namespace ckron::agent {
namespace {

// Returns at once with "out:<id>".
class InstantExecutor final : public executor::Executor {
 public:
  Status Validate(const executor::ExecutorConfig&) const override { return OkStatus(); }
  executor::ExecuteResponse Execute(const executor::ExecuteRequest& request,
                                    const executor::OutputSink&, std::stop_token) override {
    ++calls;
    return {.output = "out:" + request.execution_id.value()};
  }
  std::atomic<int> calls{0};
};

// Runs until cancelled.
class BlockingExecutor final : public executor::Executor {
 public:
  Status Validate(const executor::ExecutorConfig&) const override { return OkStatus(); }
  executor::ExecuteResponse Execute(const executor::ExecuteRequest&, const executor::OutputSink&,
                                    std::stop_token stop) override {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait(lock, stop, [] { return false; });
    return {.error = "cancelled"};
  }
};

class Collector final : public ResultSink {
 public:
  void Deliver(fsm::Execution execution) override {
    std::lock_guard lock(mu_);
    got_.push_back(std::move(execution));
    cv_.notify_all();
  }
  // Waits (up to 30 s) until `n` executions have arrived.
  std::vector<fsm::Execution> WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return got_.size() >= n; });
    return got_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<fsm::Execution> got_;
};

class RunTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.Register("instant", instant_).ok());
    ASSERT_TRUE(registry_.Register("blocking", std::make_shared<BlockingExecutor>()).ok());
  }
  void TearDown() override {
    if (table_) {
      EXPECT_TRUE(table_->Shutdown().ok());
    }
  }
  void Make(RunTableOptions options) {
    options.node_name = "node-a";
    options.clock = &clock_;
    table_ = std::make_unique<RunTable>(&runner_, &sink_, options);
  }
  static RunSpec Spec(const std::string& id, const std::string& executor = "instant") {
    RunSpec spec;
    spec.job.name = "job-1";
    spec.job.executor = executor;
    spec.execution_id = id;
    spec.group = 5;
    spec.attempt = 1;
    return spec;
  }

  executor::ExecutorRegistry registry_;
  std::shared_ptr<InstantExecutor> instant_ = std::make_shared<InstantExecutor>();
  executor::Runner runner_{&registry_};
  Collector sink_;
  ManualClock clock_{absl::FromUnixSeconds(1000)};
  std::unique_ptr<RunTable> table_;
};

TEST_F(RunTableTest, Start_FinishedId_ReplaysUntilForgottenByAge) {
  Make({.remember_for = absl::Minutes(10)});
  auto first = table_->Start(Spec("a"), nullptr);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);
  const auto got = sink_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].output, "out:a");
  EXPECT_EQ(got[0].started_at, absl::FromUnixSeconds(1000));
  EXPECT_EQ(got[0].finished_at, absl::FromUnixSeconds(1000));
  EXPECT_EQ(got[0].node_name, "node-a");

  auto again = table_->Start(Spec("a"), nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  ASSERT_TRUE(again->finished);
  EXPECT_EQ(*again->finished, got[0]);
  EXPECT_EQ(instant_->calls.load(), 1);

  clock_.Advance(absl::Minutes(10));
  auto later = table_->Start(Spec("a"), nullptr);
  ASSERT_TRUE(later.ok());
  EXPECT_FALSE(later->duplicate);  // forgotten: a new run
  EXPECT_EQ(sink_.WaitFor(2).size(), 2u);
  EXPECT_EQ(instant_->calls.load(), 2);
}

TEST_F(RunTableTest, Start_RemembersAtMostRememberCount_OldestForgottenFirst) {
  Make({.remember_count = 2});
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(table_->Start(Spec(id), nullptr).ok());
    sink_.WaitFor(static_cast<std::size_t>(id[0] - 'a' + 1));
  }
  EXPECT_TRUE(table_->Start(Spec("c"), nullptr)->duplicate);
  EXPECT_TRUE(table_->Start(Spec("b"), nullptr)->duplicate);
  EXPECT_FALSE(table_->Start(Spec("a"), nullptr)->duplicate);
}

TEST_F(RunTableTest, Start_SameIdInAnotherJob_IsANewRunNotADuplicate) {
  // Two jobs firing at the same instant on one node share the id
  // "<nanos>-<node>": each must run.
  Make({});
  RunSpec other = Spec("a");
  other.job.name = "job-2";
  auto first = table_->Start(Spec("a"), nullptr);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);
  sink_.WaitFor(1);
  auto second = table_->Start(other, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->duplicate);
  const auto got = sink_.WaitFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].job_name, "job-2");
  EXPECT_EQ(instant_->calls.load(), 2);
  // And each job's own repeat is still a duplicate.
  EXPECT_TRUE(table_->Start(other, nullptr)->duplicate);
  EXPECT_TRUE(table_->Start(Spec("a"), nullptr)->duplicate);
}

TEST_F(RunTableTest, Start_BeyondMaxRunning_IsRefused_CancelEndsTheRunFailed) {
  Make({.max_running = 1});
  ASSERT_TRUE(table_->Start(Spec("x", "blocking"), nullptr).ok());
  auto refused = table_->Start(Spec("y", "blocking"), nullptr);
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  const auto running = table_->Running();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].execution_id, "x");
  EXPECT_EQ(running[0].group, 5);

  ASSERT_TRUE(table_->Cancel("job-1", "x").ok());
  const auto got = sink_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].success);
  EXPECT_EQ(got[0].output, "cancelled\n");
  EXPECT_EQ(table_->Cancel("job-1", "x").code(), StatusCode::kNotFound);
  EXPECT_TRUE(table_->Running().empty());
}

TEST_F(RunTableTest, Shutdown_WaitsForRunsAndTheirResults_ThenRefusesNewOnes) {
  Make({});
  ASSERT_TRUE(table_->Start(Spec("a"), nullptr).ok());
  ASSERT_TRUE(table_->Shutdown().ok());
  // Every result reached the sink before Shutdown returned.
  EXPECT_EQ(sink_.WaitFor(0).size(), 1u);
  EXPECT_EQ(table_->Start(Spec("b"), nullptr).status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(table_->Start(Spec("a"), nullptr)->duplicate);
}

// Polls `done` for up to 30 s; the table's threads settle asynchronously.
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 3000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

TEST_F(RunTableTest, Threads_IdleOnesAreReusedBeforeAnyIsCreated) {
  Make({});
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(table_->Start(Spec(id, "blocking"), nullptr).ok());
  }
  EXPECT_EQ(table_->threads(), 3u);
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(table_->Cancel("job-1", id).ok());
  ASSERT_EQ(sink_.WaitFor(3).size(), 3u);
  ASSERT_TRUE(Eventually([&] { return table_->idle_threads() == 3; }));

  // Three idle threads: three new runs take them, a fourth needs one more.
  for (const char* id : {"d", "e", "f"}) {
    ASSERT_TRUE(table_->Start(Spec(id, "blocking"), nullptr).ok());
  }
  EXPECT_EQ(table_->threads(), 3u);
  ASSERT_TRUE(table_->Start(Spec("g", "blocking"), nullptr).ok());
  EXPECT_EQ(table_->threads(), 4u);
  for (const char* id : {"d", "e", "f", "g"}) ASSERT_TRUE(table_->Cancel("job-1", id).ok());
  const auto got = sink_.WaitFor(7);
  ASSERT_EQ(got.size(), 7u);
  for (const auto& e : got) EXPECT_FALSE(e.success) << e.id;
}

TEST_F(RunTableTest, Threads_IdleLongerThanTheTtl_Exit) {
  Make({.idle_thread_ttl = absl::Milliseconds(1)});
  ASSERT_TRUE(table_->Start(Spec("a"), nullptr).ok());
  ASSERT_TRUE(table_->Start(Spec("b"), nullptr).ok());
  ASSERT_EQ(sink_.WaitFor(2).size(), 2u);
  EXPECT_TRUE(Eventually([&] { return table_->threads() == 0; }));
  // And a later run gets a thread again.
  ASSERT_TRUE(table_->Start(Spec("c"), nullptr).ok());
  const auto got = sink_.WaitFor(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].output, "out:c");
}

}  // namespace
}  // namespace ckron::agent

namespace ckron::agent {
namespace {

TEST_F(RunTableTest, StartAt_TheRunStartsAtItsInstantNotBefore) {
  std::atomic<int> on_start_calls{0};
  Make({.on_start = [&](const RunSpec&, absl::Time) { ++on_start_calls; }});
  RunSpec spec = Spec("armed");
  spec.start_at = clock_.Now() + absl::Milliseconds(800);
  auto started = table_->Start(spec, nullptr);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->started_at, spec.start_at);  // counted as started then
  EXPECT_EQ(instant_->calls, 0);                  // its thread waits meanwhile
  EXPECT_EQ(on_start_calls, 0);
  EXPECT_EQ(table_->Running().size(), 1u);
  const auto got = sink_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].success) << got[0].output;
  EXPECT_EQ(got[0].started_at, spec.start_at);
  EXPECT_EQ(instant_->calls, 1);
  EXPECT_EQ(on_start_calls, 1);
}

TEST_F(RunTableTest, StartAt_CancelledWhileWaitingFailsWithoutRunning) {
  Make({.max_start_wait = absl::Minutes(10)});
  RunSpec spec = Spec("armed");
  spec.start_at = clock_.Now() + absl::Minutes(5);
  ASSERT_TRUE(table_->Start(spec, nullptr).ok());
  ASSERT_TRUE(table_->Cancel("job-1", "armed").ok());
  const auto got = sink_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].success);
  EXPECT_NE(got[0].output.find("cancelled before its start time"), std::string::npos)
      << got[0].output;
  EXPECT_EQ(instant_->calls, 0);
}

TEST_F(RunTableTest, StartAt_FarAheadIsBoundedByMaxStartWait) {
  Make({.max_start_wait = absl::Milliseconds(300)});
  RunSpec spec = Spec("skewed");
  spec.start_at = clock_.Now() + absl::Hours(1);  // the leader's clock far ahead
  const absl::Time now = clock_.Now();
  auto started = table_->Start(spec, nullptr);
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->started_at, now + absl::Milliseconds(300));
  ASSERT_EQ(sink_.WaitFor(1).size(), 1u);
  EXPECT_EQ(instant_->calls, 1);
}

// Starts before results: while a run armed for an instant already reached
// has not started, a finished run's result waits. The manual clock makes a
// run "due" while its thread still sleeps (it waits in real time).
TEST_F(RunTableTest, Results_WaitWhileARunDueAtAPassedInstantHasNotStarted) {
  Make({.max_start_wait = absl::Minutes(10), .max_result_hold = absl::Hours(1)});
  RunSpec armed = Spec("armed");
  armed.start_at = clock_.Now() + absl::Minutes(1);
  ASSERT_TRUE(table_->Start(armed, nullptr).ok());
  clock_.Advance(absl::Minutes(2));  // its instant has passed; its thread sleeps on
  ASSERT_TRUE(table_->Start(Spec("now"), nullptr).ok());
  while (instant_->calls < 1) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(sink_.WaitFor(0).empty()) << "a result went out before a due run started";
  ASSERT_TRUE(table_->Cancel("job-1", "armed").ok());  // the due run "starts" (cancelled)
  const auto got = sink_.WaitFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, "now");
  EXPECT_TRUE(got[0].success);
  EXPECT_FALSE(got[1].success);
}

// Runs armed for one instant: one timer wakes a few threads, each wakes the
// next. Blocking runs must still all be running at once (none waits for
// another to end), and no run starts before its instant.
TEST_F(RunTableTest, StartAt_ABurstOfBlockingRunsAllStartAtTheirInstant) {
  constexpr int kRuns = 64;
  std::mutex mu;
  std::vector<absl::Time> starts;
  executor::Runner runner(&registry_);
  Collector sink;
  RunTable table(&runner, &sink,
                 {.node_name = "node-a", .on_start = [&](const RunSpec&, absl::Time at) {
                    std::lock_guard lock(mu);
                    starts.push_back(at);
                  }});
  const absl::Time instant = absl::Now() + absl::Milliseconds(300);
  for (int i = 0; i < kRuns; ++i) {
    RunSpec spec = Spec("b" + std::to_string(i), "blocking");
    spec.start_at = instant;
    ASSERT_TRUE(table.Start(spec, nullptr).ok());
  }
  ASSERT_TRUE(Eventually([&] { return runner.Running().size() == kRuns; }))
      << runner.Running().size() << " of " << kRuns << " running";
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(starts.size(), static_cast<std::size_t>(kRuns));
    for (absl::Time at : starts) EXPECT_GE(at, instant);
  }
  for (int i = 0; i < kRuns; ++i) ASSERT_TRUE(table.Cancel("job-1", "b" + std::to_string(i)).ok());
  ASSERT_EQ(sink.WaitFor(kRuns).size(), static_cast<std::size_t>(kRuns));
  ASSERT_TRUE(table.Shutdown().ok());
}

// After an instant that started runs, results wait result_settle (so other
// processes' runs of that instant start first). A lower bound only: the
// hold is the code's, not the machine's.
TEST_F(RunTableTest, Results_WaitTheSettleAfterAnInstantThatStartedRuns) {
  Make({.max_result_hold = absl::Seconds(10), .result_settle = absl::Milliseconds(300)});
  RunSpec armed = Spec("armed");
  armed.start_at = clock_.Now() + absl::Milliseconds(50);
  const auto accepted = std::chrono::steady_clock::now();
  ASSERT_TRUE(table_->Start(armed, nullptr).ok());
  ASSERT_EQ(sink_.WaitFor(1).size(), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - accepted, std::chrono::milliseconds(350));
  EXPECT_EQ(instant_->calls, 1);
}

TEST_F(RunTableTest, Results_HeldAtMostMaxResultHold) {
  Make({.max_start_wait = absl::Minutes(10), .max_result_hold = absl::Milliseconds(50)});
  RunSpec armed = Spec("armed");
  armed.start_at = clock_.Now() + absl::Minutes(1);
  ASSERT_TRUE(table_->Start(armed, nullptr).ok());
  clock_.Advance(absl::Minutes(2));
  ASSERT_TRUE(table_->Start(Spec("now"), nullptr).ok());
  const auto got = sink_.WaitFor(1);  // the due run never starts: the hold ends
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "now");
  EXPECT_EQ(table_->Running().size(), 1u);
  ASSERT_TRUE(table_->Cancel("job-1", "armed").ok());
}

}  // namespace
}  // namespace ckron::agent

namespace ckron::agent {
namespace {

// A run the table accepted is "running" for the cluster, so a shutdown right
// after Start() must run it, not refuse it at the runner. The window between
// the table accepting a run and its thread reaching the runner is short; many
// rounds make a regression show.
TEST_F(RunTableTest, Shutdown_RightAfterStart_RunsEveryAcceptedRun) {
  for (int round = 0; round < 50; ++round) {
    executor::Runner runner(&registry_);
    Collector sink;
    RunTable table(&runner, &sink, {.node_name = "node-a", .clock = &clock_});
    RunSpec armed = Spec("armed-" + std::to_string(round));
    armed.start_at = clock_.Now();  // due now: no wait, but armed-path too
    ASSERT_TRUE(table.Start(Spec("now-" + std::to_string(round)), nullptr).ok());
    ASSERT_TRUE(table.Start(armed, nullptr).ok());
    ASSERT_TRUE(table.Shutdown().ok());
    const auto got = sink.WaitFor(2);
    ASSERT_EQ(got.size(), 2u);
    for (const auto& e : got) EXPECT_TRUE(e.success) << "round " << round << ": " << e.output;
  }
}

}  // namespace
}  // namespace ckron::agent
