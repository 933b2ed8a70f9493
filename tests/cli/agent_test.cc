// The agent process on 127.0.0.1 with free ports and a scratch data dir:
// start-up, JSON logs, SIGHUP reload, SIGPIPE, `ckron leave`, SIGTERM, and
// start-up failures. Every wait has a deadline; every process is stopped by
// PID (Subprocess kills it if a test fails midway).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "nlohmann/json.hpp"

namespace ckron::testing {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

// Log messages escape quotes (\") in both formats, so expected text does too.
constexpr seconds kStartTimeout{30};

class AgentTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    rpc_port_ = FreePort();
    rpc_addr_ = "127.0.0.1:" + std::to_string(rpc_port_);
  }

  // Flags for an agent confined to 127.0.0.1 and the scratch directory.
  std::vector<std::string> AgentArgs(const std::string& node) {
    return {"agent",
            "--node-name",
            node,
            "--bind-addr",
            "127.0.0.1:" + std::to_string(FreePort()),
            "--rpc-port",
            std::to_string(rpc_port_),
            "--data-dir",
            dir_ + "/data"};
  }

  std::unique_ptr<Subprocess> StartAgent(std::vector<std::string> extra = {}) {
    auto args = AgentArgs("node-1");
    args.insert(args.end(), extra.begin(), extra.end());
    auto agent = StartCkron(args);
    EXPECT_TRUE(agent->WaitForText("agent: started", kStartTimeout))
        << agent->Stdout() << agent->Stderr();
    return agent;
  }

  int rpc_port_ = 0;
  std::string rpc_addr_;
};

TEST_F(AgentTest, Lifecycle_JsonLogs_Reload_Sigpipe_RaftUnavailable_Leave) {
  const std::string config = WriteFile("agent.yml", "log-format: json\ntags:\n  team: blue\n");
  auto agent = StartAgent({"--config", config});
  ASSERT_TRUE(agent->Running());
  EXPECT_TRUE(std::filesystem::is_directory(dir_ + "/data"));

  // SIGHUP after editing the file: the tag change is logged, the agent runs on.
  WriteFile("agent.yml", "log-format: json\ntags:\n  team: green\n");
  agent->Signal(SIGHUP);
  ASSERT_TRUE(
      agent->WaitForText("agent: reload: tags changed from \\\"team=blue\\\" to "
                         "\\\"team=green\\\"",
                         kStartTimeout))
      << agent->Stdout();
  EXPECT_TRUE(agent->Running());

  // SIGPIPE is ignored.
  agent->Signal(SIGPIPE);

  // Not a server: RaftAdmin is not served.
  RunResult r = Ckron({"raft", "list-peers", "--rpc-addr", rpc_addr_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("the agent at " + rpc_addr_ +
                               " does not serve Raft (it is not a server, or Raft has not "
                               "started)"));
  EXPECT_TRUE(agent->Running()) << "SIGPIPE must not kill the agent";

  // `ckron leave` makes it shut down and exit 0.
  r = Ckron({"leave", "--rpc-addr", rpc_addr_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(agent->WaitExit(kStartTimeout), 0) << agent->Stdout() << agent->Stderr();

  // Every line it wrote is JSON carrying the node name.
  const std::string out = agent->Stdout() + agent->Stderr();
  int lines = 0;
  for (const std::string& line : Lines(out)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_EQ(j.value("node", ""), "node-1") << line;
    EXPECT_TRUE(j.contains("msg") && j.contains("level") && j.contains("time")) << line;
    ++lines;
  }
  EXPECT_GE(lines, 4);
  EXPECT_THAT(out, HasSubstr("agent: shutdown complete"));
}

TEST_F(AgentTest, Sigterm_ShutsDownGracefullyWithExit0) {
  auto agent = StartAgent();
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->WaitExit(kStartTimeout), 0);
  EXPECT_THAT(agent->Stdout(), HasSubstr("agent: shutting down gracefully (caught SIGTERM)"));
  EXPECT_THAT(agent->Stdout(), HasSubstr("agent: shutdown complete"));
}

TEST_F(AgentTest, Sigint_ShutsDownGracefullyWithExit0) {
  auto agent = StartAgent();
  agent->Signal(SIGINT);
  EXPECT_EQ(agent->WaitExit(kStartTimeout), 0);
  EXPECT_THAT(agent->Stdout(), HasSubstr("agent: shutdown complete"));
}

TEST_F(AgentTest, Reload_InvalidFileIsLoggedAndTheRunningConfigKept) {
  const std::string config = WriteFile("agent.yml", "tags:\n  team: blue\n");
  auto agent = StartAgent({"--config", config});
  WriteFile("agent.yml", "tags:\n  team: blue\nrpc_port: 1\n");
  agent->Signal(SIGHUP);
  ASSERT_TRUE(
      agent->WaitForText("agent: reload failed; keeping the running configuration", kStartTimeout))
      << agent->Stdout() << agent->Stderr();
  EXPECT_THAT(agent->Stderr(), HasSubstr("unknown key"));
  EXPECT_TRUE(agent->Running());
  // A later valid edit still applies: the running config was kept intact.
  WriteFile("agent.yml", "tags:\n  team: red\nlog-level: debug\n");
  agent->Signal(SIGHUP);
  ASSERT_TRUE(
      agent->WaitForText("tags changed from \\\"team=blue\\\" to \\\"team=red\\\"", kStartTimeout))
      << agent->Stdout();
  // A key that needs a restart is reported, not applied.
  WriteFile("agent.yml", "tags:\n  team: red\nlog-level: debug\nregion: eu\n");
  agent->Signal(SIGHUP);
  ASSERT_TRUE(agent->WaitForText(
      "region changed to \\\"eu\\\" but takes effect only after a restart", kStartTimeout))
      << agent->Stdout() << agent->Stderr();
  agent->Signal(SIGTERM);
  EXPECT_EQ(agent->WaitExit(kStartTimeout), 0);
}

TEST_F(AgentTest, StartFailure_RpcPortInUseIsExit1) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(rpc_port_));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  const RunResult r = Ckron(AgentArgs("node-1"));
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("agent: cannot start: cannot listen on " + rpc_addr_));
}

TEST_F(AgentTest, StartFailure_TemplateWithoutAddressIsExit1) {
  auto args = AgentArgs("node-1");
  args.insert(args.end(), {"--bind-addr", "{{ GetInterfaceIP \"ckron-no-such-if\" }}:7946"});
  const RunResult r = Ckron(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("found no address on this host"));
}

TEST_F(AgentTest, StartFailure_DataDirNotCreatableIsExit1) {
  WriteFile("file-not-dir", "x");
  auto args = AgentArgs("node-1");
  args.insert(args.end(), {"--data-dir", dir_ + "/file-not-dir/sub"});
  const RunResult r = Ckron(args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot create data-dir"));
}

}  // namespace
}  // namespace ckron::testing
