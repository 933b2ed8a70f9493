// AgentCalls (the leader's side) against the real AgentRunner service (the
// agent's side: RunService over a RunTable with the real shell executor) on
// 127.0.0.1: runs share one RunMany call per agent, each run is still its own
// stream to the observer, and a broken call or an agent without RunMany
// loses no run. Jobs caught mid-run wait for a gate file the test creates;
// deadlines are generous and nothing asserts on timing. (The dispatcher's
// own tests, dispatcher_test.cc, talk to an agent that serves only Run, so
// they cover the fallback to Run calls end to end.)
#include "dispatcher/agent_calls.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/run_service.h"
#include "agent/run_table.h"
#include "executor/builtins.h"
#include "executor/registry.h"
#include "executor/runner.h"
#include "rpc/server.h"

namespace ckron::dispatcher {
namespace {

using namespace std::chrono_literals;

// What the observer saw of one stream, in order.
struct Seen {
  fsm::RunKey key;
  std::vector<std::string> events;  // "started", "output", "finished"
  std::string output;
  std::optional<fsm::Execution> finished;
  std::optional<Status> closed;
  int after_close = 0;  // callbacks after OnRunClosed: must stay 0
};

class Recorder final : public RunObserver {
 public:
  void OnRunStarted(const fsm::RunKey& key, absl::Time, bool duplicate) override {
    Add(key, duplicate ? "started(duplicate)" : "started");
  }
  void OnRunOutput(const fsm::RunKey& key, std::string_view chunk) override {
    std::lock_guard lock(mu_);
    Seen& s = ByKey(key);
    if (s.closed) ++s.after_close;
    if (s.events.empty() || s.events.back() != "output") s.events.push_back("output");
    s.output += chunk;
  }
  void OnRunFinished(const fsm::RunKey& key, fsm::Execution execution) override {
    std::lock_guard lock(mu_);
    Seen& s = ByKey(key);
    if (s.closed) ++s.after_close;
    s.events.push_back("finished");
    s.finished = std::move(execution);
  }
  void OnRunClosed(const fsm::RunKey& key, std::uint64_t stream, Status status) override {
    std::lock_guard lock(mu_);
    Seen& s = ByKey(key);
    if (s.closed) ++s.after_close;
    s.closed = std::move(status);
    streams_[key.job_name] = stream;
    changed_.notify_all();
  }

  // Waits until `n` streams have closed.
  bool WaitClosed(std::size_t n, std::chrono::seconds timeout = 60s) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] {
      std::size_t closed = 0;
      for (const auto& [name, s] : seen_) closed += s.closed ? 1 : 0;
      return closed >= n;
    });
  }
  Seen Get(const std::string& job) {
    std::lock_guard lock(mu_);
    return seen_[job];
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  void Add(const fsm::RunKey& key, const std::string& what) {
    std::lock_guard lock(mu_);
    Seen& s = ByKey(key);
    if (s.closed) ++s.after_close;
    s.events.push_back(what);
  }
  Seen& ByKey(const fsm::RunKey& key) {
    Seen& s = seen_[key.job_name];
    s.key = key;
    return s;
  }

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, Seen> seen_;  // by job name: one run per job here
  std::map<std::string, std::uint64_t> streams_;
};

class Sink final : public agent::ResultSink {
 public:
  void Deliver(fsm::Execution execution) override {
    std::lock_guard lock(mu_);
    results_.push_back(std::move(execution));
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return results_.size();
  }

 private:
  std::mutex mu_;
  std::vector<fsm::Execution> results_;
};

// Serves only Run, as an agent of a version before RunMany did.
class RunOnlyAgent final : public ckron::v1::AgentRunner::CallbackService {
 public:
  explicit RunOnlyAgent(agent::RunService* inner) : inner_(inner) {}
  grpc::ServerWriteReactor<ckron::v1::RunEvent>* Run(
      grpc::CallbackServerContext* context, const ckron::v1::RunRequest* request) override {
    return inner_->Run(context, request);
  }

 private:
  agent::RunService* const inner_;
};

class AgentCallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ckron_calls_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(executor::RegisterBuiltins(registry_).ok());
    runner_ = std::make_unique<executor::Runner>(&registry_);
    table_ = std::make_unique<agent::RunTable>(runner_.get(), &sink_,
                                               agent::RunTableOptions{.node_name = "node-a"});
    service_ = std::make_unique<agent::RunService>(table_.get(),
                                                   agent::RunServiceOptions{.node_name = "node-a"});
    StartServer(service_.get());
  }

  void TearDown() override {
    calls_.reset();
    if (server_) server_->Shutdown();
    if (table_) {
      EXPECT_TRUE(table_->Shutdown().ok());
    }
    std::filesystem::remove_all(dir_);
  }

  void StartServer(grpc::Service* service, const std::string& address = "127.0.0.1:0") {
    auto server = rpc::RpcServer::Start({.address = address}, {service});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string WaitForGate(const std::string& gate) const {
    return "while [ ! -f " + Path(gate) + " ]; do sleep 0.02; done";
  }
  void OpenGate(const std::string& gate) const { std::ofstream(Path(gate)) << "go"; }

  // Starts `command` as job `job` on the agent; returns the stream handle.
  // Sends it at once unless `flush` is false (then Flush() sends it).
  std::uint64_t Run(const std::string& job, const std::string& command,
                    const std::string& execution_id = "", bool flush = true) {
    ckron::v1::RunRequest request;
    request.mutable_job()->set_name(job);
    request.mutable_job()->set_executor("shell");
    (*request.mutable_job()->mutable_executor_config())["command"] = command;
    (*request.mutable_job()->mutable_executor_config())["shell"] = "true";
    request.set_execution_id(execution_id.empty() ? "1-node-a" : execution_id);
    request.set_group(1);
    request.set_attempt(1);
    request.set_term(3);
    const std::uint64_t stream =
        calls_->Run(server_->address(), request, fsm::RunKey{job, 1, "node-a", 1});
    if (flush) calls_->Flush();
    return stream;
  }

  std::filesystem::path dir_;
  executor::ExecutorRegistry registry_;
  std::unique_ptr<executor::Runner> runner_;
  Sink sink_;
  std::unique_ptr<agent::RunTable> table_;
  std::unique_ptr<agent::RunService> service_;
  std::unique_ptr<rpc::RpcServer> server_;
  Recorder recorder_;
  std::unique_ptr<AgentCalls> calls_ = std::make_unique<AgentCalls>(&recorder_);
};

TEST_F(AgentCallsTest, ManyRunsShareOneCallAndEachIsItsOwnStream) {
  constexpr int kRuns = 200;
  for (int i = 0; i < kRuns; ++i) {
    Run("job-" + std::to_string(i), "echo out-" + std::to_string(i), "", /*flush=*/false);
  }
  EXPECT_EQ(calls_->open_sessions(), 1u);
  calls_->Flush();  // as the dispatcher does at the end of a turn
  ASSERT_TRUE(recorder_.WaitClosed(kRuns));
  for (int i = 0; i < kRuns; ++i) {
    const Seen s = recorder_.Get("job-" + std::to_string(i));
    SCOPED_TRACE(s.key.job_name);
    ASSERT_TRUE(s.closed.has_value());
    EXPECT_TRUE(s.closed->ok()) << s.closed->ToString();
    ASSERT_FALSE(s.events.empty());
    EXPECT_EQ(s.events.front(), "started");
    EXPECT_EQ(s.events.back(), "finished");
    ASSERT_TRUE(s.finished.has_value());
    EXPECT_TRUE(s.finished->success) << s.finished->output;
    EXPECT_EQ(s.finished->output, "out-" + std::to_string(i) + "\n");
    EXPECT_EQ(s.after_close, 0);
  }
  EXPECT_EQ(calls_->open_sessions(), 1u);  // still open for the next runs
  EXPECT_EQ(calls_->open_streams(), 0u);
}

TEST_F(AgentCallsTest, OutputIsRelayedLiveBeforeTheRunEnds) {
  Run("live", "echo first; " + WaitForGate("g") + "; echo second");
  // The first line arrives while the run waits at the gate.
  for (int i = 0; i < 3000 && recorder_.Get("live").output.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  Seen s = recorder_.Get("live");
  EXPECT_EQ(s.output, "first\n");
  EXPECT_FALSE(s.closed.has_value());
  OpenGate("g");
  ASSERT_TRUE(recorder_.WaitClosed(1));
  s = recorder_.Get("live");
  EXPECT_EQ(s.output, "first\nsecond\n");
  EXPECT_EQ(s.events, (std::vector<std::string>{"started", "output", "finished"}));
}

TEST_F(AgentCallsTest, AMalformedRunClosesOnlyItsOwnStream) {
  ckron::v1::RunRequest bad;  // no execution id
  bad.mutable_job()->set_name("bad");
  calls_->Run(server_->address(), bad, fsm::RunKey{"bad", 1, "node-a", 1});
  Run("good", "echo fine");  // flushes both
  ASSERT_TRUE(recorder_.WaitClosed(2));
  const Seen b = recorder_.Get("bad");
  ASSERT_TRUE(b.closed.has_value());
  EXPECT_EQ(b.closed->code(), StatusCode::kInvalidArgument) << b.closed->ToString();
  EXPECT_TRUE(b.events.empty());
  const Seen g = recorder_.Get("good");
  ASSERT_TRUE(g.finished.has_value());
  EXPECT_EQ(g.finished->output, "fine\n");
}

TEST_F(AgentCallsTest, CancelStreamClosesAtOnceAndTheRunGoesOn) {
  const std::uint64_t stream = Run("slow", WaitForGate("g") + "; echo done");
  for (int i = 0; i < 3000 && recorder_.Get("slow").events.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(recorder_.Get("slow").events, std::vector<std::string>{"started"});
  calls_->CancelStream(stream);
  Seen s = recorder_.Get("slow");  // delivered inside CancelStream
  ASSERT_TRUE(s.closed.has_value());
  EXPECT_EQ(s.closed->code(), StatusCode::kCancelled);
  // The execution was not touched: it finishes and its result is delivered.
  OpenGate("g");
  for (int i = 0; i < 3000 && sink_.size() == 0; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(sink_.size(), 1u);
  // Other runs still use the same call, and the released one says nothing more.
  Run("after", "echo after");
  ASSERT_TRUE(recorder_.WaitClosed(2));
  EXPECT_EQ(recorder_.Get("after").output, "after\n");
  EXPECT_EQ(recorder_.Get("slow").after_close, 0);
  EXPECT_EQ(calls_->open_sessions(), 1u);
}

TEST_F(AgentCallsTest, ABrokenCallClosesItsRunsAndTheNextRunOpensAnother) {
  Run("caught", WaitForGate("g"));
  for (int i = 0; i < 3000 && recorder_.Get("caught").events.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  const std::string address = server_->address();
  server_->Shutdown();  // the agent's server goes away mid-run
  ASSERT_TRUE(recorder_.WaitClosed(1));
  const Seen s = recorder_.Get("caught");
  ASSERT_TRUE(s.closed.has_value());
  EXPECT_FALSE(s.closed->ok());
  EXPECT_EQ(s.events, std::vector<std::string>{"started"});
  OpenGate("g");
  // The agent is back on the same address: a new call carries the next run.
  StartServer(service_.get(), address);
  Run("next", "echo again", "2-node-a");
  ASSERT_TRUE(recorder_.WaitClosed(2));
  const Seen n = recorder_.Get("next");
  ASSERT_TRUE(n.finished.has_value());
  EXPECT_EQ(n.finished->output, "again\n");
}

TEST_F(AgentCallsTest, AnAgentWithoutRunManyGetsOneRunCallPerRunAndLosesNone) {
  server_->Shutdown();
  RunOnlyAgent old(service_.get());
  StartServer(&old);
  for (int i = 0; i < 20; ++i) Run("old-" + std::to_string(i), "echo " + std::to_string(i));
  ASSERT_TRUE(recorder_.WaitClosed(20));
  for (int i = 0; i < 20; ++i) {
    const Seen s = recorder_.Get("old-" + std::to_string(i));
    SCOPED_TRACE(s.key.job_name);
    ASSERT_TRUE(s.closed.has_value());
    EXPECT_TRUE(s.closed->ok()) << s.closed->ToString();
    ASSERT_TRUE(s.finished.has_value());
    EXPECT_EQ(s.finished->output, std::to_string(i) + "\n");
    EXPECT_EQ(s.events.front(), "started");
  }
  EXPECT_EQ(calls_->open_sessions(), 0u);
  EXPECT_EQ(sink_.size(), 20u);  // each ran once
  calls_.reset();
  server_->Shutdown();
  server_.reset();
}

}  // namespace
}  // namespace ckron::dispatcher
