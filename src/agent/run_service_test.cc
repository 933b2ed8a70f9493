// The AgentRunner service over real gRPC on 127.0.0.1, with the real shell
// executor, and the reporter delivering results to a fake Executions server.
// Jobs that must be caught mid-run wait for a gate file the test creates, so
// nothing here depends on timing beyond generous deadlines.
#include "agent/run_service.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "agent/reporter.h"
#include "agent/run_table.h"
#include "agent/testing/fake_executions.h"
#include "ckron/v1/run.grpc.pb.h"
#include "executor/builtins.h"
#include "executor/registry.h"
#include "executor/runner.h"
#include "rpc/executions_client.h"
#include "rpc/server.h"

namespace ckron::agent {
namespace {

using ckron::v1::RunEvent;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class RunServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ckron_agent_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(executor::RegisterBuiltins(registry_).ok());
    runner_ = std::make_unique<executor::Runner>(&registry_);
    auto executions = rpc::RpcServer::Start({.address = "127.0.0.1:0"}, {&fake_});
    ASSERT_TRUE(executions.ok()) << executions.status().ToString();
    executions_server_ = std::move(*executions);
    const std::string fake_addr = executions_server_->address();
    reporter_ = std::make_unique<Reporter>(
        &client_, [fake_addr] { return std::vector<ServerAddress>{{.rpc_addr = fake_addr}}; },
        [] { return std::vector<rpc::LeaseRef>{}; },
        ReporterOptions{.node_name = "node-a", .initial_backoff = absl::Milliseconds(10)});
    reporter_->Start();
    table_ = std::make_unique<RunTable>(runner_.get(), reporter_.get(),
                                        RunTableOptions{.node_name = "node-a"});
    service_ = std::make_unique<RunService>(table_.get(), RunServiceOptions{.node_name = "node-a"});
    auto server = rpc::RpcServer::Start({.address = "127.0.0.1:0"}, {service_.get()});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    stub_ = ckron::v1::AgentRunner::NewStub(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (table_) {
      EXPECT_TRUE(table_->Shutdown().ok());
    }
    if (server_) server_->Shutdown();
    if (reporter_) (void)reporter_->Flush(absl::Seconds(10));
    if (executions_server_) executions_server_->Shutdown();
    std::filesystem::remove_all(dir_);
  }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // A shell job running `command` through /bin/sh.
  ckron::v1::RunRequest Request(const std::string& id, const std::string& command,
                                const std::string& executor = "shell") {
    ckron::v1::RunRequest req;
    req.mutable_job()->set_name("job-1");
    req.mutable_job()->set_executor(executor);
    (*req.mutable_job()->mutable_executor_config())["command"] = command;
    (*req.mutable_job()->mutable_executor_config())["shell"] = "true";
    req.set_execution_id(id);
    req.set_group(1000);
    req.set_attempt(2);
    req.set_term(7);
    return req;
  }

  // Waits in the shell until the gate file exists.
  std::string WaitForGate(const std::string& gate) {
    return "while [ ! -f " + Path(gate) + " ]; do sleep 0.02; done";
  }
  void OpenGate(const std::string& gate) { std::ofstream(Path(gate)) << "go"; }

  int Lines(const std::string& name) {
    std::ifstream in(Path(name));
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  }

  struct Call {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<RunEvent>> reader;
  };
  std::unique_ptr<Call> StartRun(const ckron::v1::RunRequest& req) {
    auto call = std::make_unique<Call>();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    call->reader = stub_->Run(&call->ctx, req);
    return call;
  }
  static std::vector<RunEvent> ReadRest(Call& call) {
    std::vector<RunEvent> out;
    for (RunEvent e; call.reader->Read(&e);) out.push_back(e);
    return out;
  }

  // Output bytes of `events` (in order), and their `finished`, which must be
  // the last event.
  static std::string OutputOf(const std::vector<RunEvent>& events) {
    std::string out;
    for (const RunEvent& e : events) {
      if (e.has_output()) out += e.output();
    }
    return out;
  }

  std::filesystem::path dir_;
  executor::ExecutorRegistry registry_;
  std::unique_ptr<executor::Runner> runner_;
  testing::FakeExecutions fake_;
  std::unique_ptr<rpc::RpcServer> executions_server_;
  rpc::ExecutionsClient client_;
  std::unique_ptr<Reporter> reporter_;
  std::unique_ptr<RunTable> table_;
  std::unique_ptr<RunService> service_;
  std::unique_ptr<rpc::RpcServer> server_;
  std::unique_ptr<ckron::v1::AgentRunner::Stub> stub_;
};

TEST_F(RunServiceTest, Run_StreamsStartedThenLiveOutputInOrderThenFinished) {
  auto call = StartRun(
      Request("1000-node-a", "echo one; " + WaitForGate("g") + "; echo two; echo three; exit 3"));
  RunEvent e;
  ASSERT_TRUE(call->reader->Read(&e));
  ASSERT_TRUE(e.has_started());
  EXPECT_FALSE(e.started().duplicate());
  EXPECT_GT(e.started().started_at_ns(), 0);
  // "one" arrives while the job still waits: the output is live.
  ASSERT_TRUE(call->reader->Read(&e));
  ASSERT_TRUE(e.has_output());
  EXPECT_EQ(e.output(), "one\n");
  OpenGate("g");
  std::vector<RunEvent> rest = ReadRest(*call);
  ASSERT_FALSE(rest.empty());
  EXPECT_TRUE(call->reader->Finish().ok());
  EXPECT_EQ(OutputOf(rest), "two\nthree\n");
  ASSERT_TRUE(rest.back().has_finished());
  const auto& x = rest.back().finished().execution();
  EXPECT_EQ(x.id(), "1000-node-a");
  EXPECT_EQ(x.job_name(), "job-1");
  EXPECT_EQ(x.node_name(), "node-a");
  EXPECT_EQ(x.group(), 1000);
  EXPECT_EQ(x.attempt(), 2u);
  EXPECT_FALSE(x.success());
  EXPECT_EQ(x.output(), "exit status 3\none\ntwo\nthree\n");
  ASSERT_TRUE(x.has_finished_at_ns());
  EXPECT_GE(x.finished_at_ns(), x.started_at_ns());
  // The same result reaches the servers.
  ASSERT_TRUE(fake_.WaitFor([&] { return fake_.acked().size() == 1; }));
  EXPECT_EQ(fake_.AckedSnapshot()[0].SerializeAsString(), x.SerializeAsString());
}

TEST_F(RunServiceTest, Run_DuplicateWhileRunning_AnswersDuplicateAndStartsNothing) {
  const auto req = Request("1-node-a", "echo ran >> " + Path("runs") + "; " + WaitForGate("g"));
  auto first = StartRun(req);
  RunEvent e;
  ASSERT_TRUE(first->reader->Read(&e));
  ASSERT_TRUE(e.has_started());
  const std::int64_t started_at = e.started().started_at_ns();

  auto second = StartRun(req);
  ASSERT_TRUE(second->reader->Read(&e));
  ASSERT_TRUE(e.has_started());
  EXPECT_TRUE(e.started().duplicate());
  EXPECT_EQ(e.started().started_at_ns(), started_at);

  OpenGate("g");
  const auto a = ReadRest(*first);
  const auto b = ReadRest(*second);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  ASSERT_TRUE(a.back().has_finished());
  ASSERT_TRUE(b.back().has_finished());
  EXPECT_TRUE(a.back().finished().execution().success());
  EXPECT_EQ(a.back().finished().SerializeAsString(), b.back().finished().SerializeAsString());
  EXPECT_EQ(Lines("runs"), 1);
  ASSERT_TRUE(fake_.WaitFor([&] { return !fake_.acked().empty(); }));
  EXPECT_TRUE(reporter_->Flush(absl::Seconds(30)).ok());
  EXPECT_EQ(fake_.AckedSnapshot().size(), 1u);
}

TEST_F(RunServiceTest, Run_DuplicateAfterFinish_ReplaysTheResult) {
  const auto req = Request("2-node-a", "echo ran >> " + Path("runs") + "; echo hello");
  auto first = StartRun(req);
  const auto a = ReadRest(*first);
  ASSERT_FALSE(a.empty());
  ASSERT_TRUE(a.back().has_finished());

  auto second = StartRun(req);
  const auto b = ReadRest(*second);
  ASSERT_EQ(b.size(), 2u);
  ASSERT_TRUE(b[0].has_started());
  EXPECT_TRUE(b[0].started().duplicate());
  EXPECT_EQ(b[0].started().started_at_ns(), a.back().finished().execution().started_at_ns());
  ASSERT_TRUE(b[1].has_finished());
  EXPECT_EQ(b[1].finished().SerializeAsString(), a.back().finished().SerializeAsString());
  EXPECT_EQ(b[1].finished().execution().output(), "hello\n");
  EXPECT_EQ(Lines("runs"), 1);
}

TEST_F(RunServiceTest, Run_StreamCancelledMidRun_ExecutionCompletesAndIsReported) {
  auto call = StartRun(Request("3-node-a", WaitForGate("g") + "; echo done >> " + Path("runs")));
  RunEvent e;
  ASSERT_TRUE(call->reader->Read(&e));
  ASSERT_TRUE(e.has_started());
  call->ctx.TryCancel();  // the leader went away
  EXPECT_FALSE(call->reader->Finish().ok());
  OpenGate("g");
  ASSERT_TRUE(fake_.WaitFor([&] { return fake_.acked().size() == 1; }));
  const auto acked = fake_.AckedSnapshot();
  EXPECT_EQ(acked[0].id(), "3-node-a");
  EXPECT_TRUE(acked[0].success());
  EXPECT_EQ(Lines("runs"), 1);
}

TEST_F(RunServiceTest, Cancel_StopsTheRun_WhichFinishesFailed) {
  auto call = StartRun(Request("4-node-a", "echo started; sleep 60"));
  RunEvent e;
  ASSERT_TRUE(call->reader->Read(&e));
  ASSERT_TRUE(e.has_started());
  ASSERT_TRUE(call->reader->Read(&e));  // the job is surely running now
  ASSERT_EQ(e.output(), "started\n");

  grpc::ClientContext list_ctx;
  ckron::v1::ListRunningResponse running;
  ASSERT_TRUE(stub_->ListRunning(&list_ctx, {}, &running).ok());
  ASSERT_EQ(running.executions_size(), 1);
  EXPECT_EQ(running.executions(0).execution_id(), "4-node-a");
  EXPECT_EQ(running.executions(0).job_name(), "job-1");
  EXPECT_EQ(running.executions(0).group(), 1000);
  EXPECT_EQ(running.executions(0).attempt(), 2u);

  grpc::ClientContext cancel_ctx;
  ckron::v1::CancelRequest cancel;
  cancel.set_execution_id("4-node-a");
  cancel.set_job_name("job-1");
  ckron::v1::CancelResponse resp;
  ASSERT_TRUE(stub_->Cancel(&cancel_ctx, cancel, &resp).ok());
  const auto rest = ReadRest(*call);
  ASSERT_FALSE(rest.empty());
  ASSERT_TRUE(rest.back().has_finished());
  EXPECT_FALSE(rest.back().finished().execution().success());
  EXPECT_THAT(rest.back().finished().execution().output(), HasSubstr("was cancelled"));

  grpc::ClientContext again_ctx;
  EXPECT_EQ(stub_->Cancel(&again_ctx, cancel, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RunServiceTest, Run_UnknownExecutor_FinishesWithDkronsMessageAndIsReported) {
  auto call = StartRun(Request("5-node-a", "true", "nope"));
  const auto events = ReadRest(*call);
  ASSERT_EQ(events.size(), 2u);
  ASSERT_TRUE(events[0].has_started());
  ASSERT_TRUE(events[1].has_finished());
  EXPECT_FALSE(events[1].finished().execution().success());
  EXPECT_THAT(events[1].finished().execution().output(),
              StartsWith("grpc_agent: Specified executor is not present"));
  ASSERT_TRUE(fake_.WaitFor([&] { return fake_.acked().size() == 1; }));
}

TEST_F(RunServiceTest, Run_WhileShuttingDown_AnswersOnlyAFailedFinished) {
  ASSERT_TRUE(table_->Shutdown().ok());
  auto call = StartRun(Request("6-node-a", "echo ran >> " + Path("runs")));
  const auto events = ReadRest(*call);
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].has_finished());
  EXPECT_FALSE(events[0].finished().execution().success());
  EXPECT_THAT(events[0].finished().execution().output(), HasSubstr("shutting down"));
  EXPECT_EQ(Lines("runs"), 0);
  EXPECT_TRUE(reporter_->Flush(absl::Seconds(30)).ok());
  EXPECT_TRUE(fake_.AckedSnapshot().empty());
}

TEST_F(RunServiceTest, Run_WithoutExecutionId_IsInvalidArgument) {
  auto call = StartRun(Request("", "true"));
  EXPECT_TRUE(ReadRest(*call).empty());
  EXPECT_EQ(call->reader->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ckron::agent
