// Black-box tests of the `ckron` command line: help, exit codes, every
// configuration error path, precedence, keygen (with a real serf), version
// and `schedule next`. The agent's lifecycle is in agent_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/base64.h"
#include "cron/schedule.h"
#include "harness.h"
#include "nlohmann/json.hpp"

namespace ckron::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

// ---------------------------------------------------------------- help

TEST_F(CliTest, Help_EverySubcommandExitsZero) {
  const std::vector<std::vector<std::string>> commands = {{"--help"},
                                                          {"agent", "--help"},
                                                          {"keygen", "--help"},
                                                          {"leave", "--help"},
                                                          {"raft", "--help"},
                                                          {"raft", "list-peers", "--help"},
                                                          {"raft", "remove-peer", "--help"},
                                                          {"version", "--help"},
                                                          {"schedule", "--help"},
                                                          {"schedule", "next", "--help"},
                                                          {"-h"}};
  for (const auto& args : commands) {
    const RunResult r = Ckron(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args.back() << "\n" << r.err;
    EXPECT_THAT(r.out, HasSubstr("Usage:")) << args[0];
  }
}

TEST_F(CliTest, Help_AgentListsEveryDkronFlagWithItsDefault) {
  const RunResult r = Ckron({"agent", "--help"});
  ASSERT_EQ(r.exit_code, 0);
  // dkron/config.go ConfigFlagSet, plus --config.
  for (const char* flag : {"server",
                           "node-name",
                           "bind-addr",
                           "advertise-addr",
                           "http-addr",
                           "profile",
                           "join",
                           "retry-join",
                           "retry-max",
                           "retry-interval",
                           "raft-multiplier",
                           "tag",
                           "encrypt",
                           "log-level",
                           "rpc-port",
                           "advertise-rpc-port",
                           "bootstrap-expect",
                           "data-dir",
                           "datacenter",
                           "region",
                           "serf-reconnect-timeout",
                           "ui",
                           "mail-host",
                           "mail-port",
                           "mail-username",
                           "mail-password",
                           "mail-from",
                           "mail-payload",
                           "mail-subject-prefix",
                           "pre-webhook-endpoint",
                           "pre-webhook-payload",
                           "pre-webhook-headers",
                           "webhook-endpoint",
                           "webhook-url",
                           "webhook-payload",
                           "webhook-headers",
                           "cronitor-endpoint",
                           "dog-statsd-addr",
                           "dog-statsd-tags",
                           "statsd-addr",
                           "enable-prometheus",
                           "otel-endpoint",
                           "disable-usage-stats",
                           "config",
                           "raft-port",
                           "log-format",
                           "print-config"}) {
    EXPECT_THAT(r.out, HasSubstr("  --" + std::string(flag) + " ")) << flag;
  }
  for (const char* def :
       {"(default: {{ GetPrivateIP }}:8946)", "(default: :8080)", "(default: 6868)",
        "(default: 8190)", "(default: 30s)", "(default: lan)", "(default: [Dkron])",
        "(default: ckron.data)", "(default: dc1)", "(default: global)", "(default: 24h0m0s)",
        "(default: info)", "(default: text)"}) {
    EXPECT_THAT(r.out, HasSubstr(def)) << def;
  }
  EXPECT_THAT(r.out, HasSubstr("CKRON_<FLAG> or DKRON_<FLAG>"));
}

TEST_F(CliTest, Usage_NoSubcommandIsExit2) {
  const RunResult r = Ckron({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("subcommand"));
  EXPECT_EQ(Ckron({"raft"}).exit_code, 2);
  EXPECT_EQ(Ckron({"nonsense"}).exit_code, 2);
}

// ---------------------------------------------------------------- config errors

TEST_F(CliTest, ConfigError_UnknownFlagIsExit2AndNamed) {
  const RunResult r = Ckron({"agent", "--print-config", "--rpc-prot", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--rpc-prot"));
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, ConfigError_UnknownFileKeyIsExit2AndNamed) {
  const std::string path = WriteFile("c.yml", "server: true\nrpc_port: 7000\n");
  const RunResult r = Ckron({"agent", "--print-config", "--config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("ckron: file " + path +
                               ": unknown key \"rpc_port\" (did you mean rpc-port?)"));
}

TEST_F(CliTest, ConfigError_WrongTypeIsExit2AndNamed) {
  const std::string path = WriteFile("c.yml", "rpc-port: [1, 2]\n");
  const RunResult r = Ckron({"agent", "--print-config", "--config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err,
              HasSubstr("file " + path + " key rpc-port: expected an integer 1-65535, got a list"));
}

TEST_F(CliTest, ConfigError_BadValueFromEachSourceIsExit2AndNamed) {
  RunResult r = Ckron({"agent", "--print-config", "--rpc-port", "abc"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("ckron: --rpc-port: expected an integer 1-65535, got \"abc\"\n"));

  r = Ckron({"agent", "--print-config"}, {{"CKRON_PROFILE", "moon"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("env CKRON_PROFILE: expected one of lan, wan, local, got \"moon\""));

  const std::string path = WriteFile("c.yml", "raft-multiplier: 11\n");
  r = Ckron({"agent", "--print-config", "--config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("file " + path +
                               " key raft-multiplier: expected an integer 1-10, got \"11\""));

  r = Ckron({"agent", "--print-config", "--server=maybe"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--server: expected a boolean (true or false), got \"maybe\""));
}

TEST_F(CliTest, ConfigError_MissingConfigFileIsExit2) {
  const RunResult r = Ckron({"agent", "--print-config", "--config", "/nonexistent/c.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--config: file \"/nonexistent/c.yml\" does not exist"));
}

TEST_F(CliTest, ConfigError_TagsMalformedOrReservedAreExit2) {
  RunResult r = Ckron({"agent", "--print-config", "--tag", "novalue"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--tag: tag \"novalue\": expected key=value with a non-empty key"));
  r = Ckron({"agent", "--print-config", "--tag", "=x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("tag \"=x\""));
  r = Ckron({"agent", "--print-config", "--tag", "ok=1", "--tag", "region=eu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--tag: tag \"region\" is reserved"));
}

TEST_F(CliTest, ConfigError_BootstrapExpectNeedsServer) {
  RunResult r = Ckron({"agent", "--print-config", "--bootstrap-expect", "3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--bootstrap-expect: bootstrap-expect requires server mode"));
  EXPECT_EQ(Ckron({"agent", "--print-config", "--bootstrap-expect", "3", "--server"}).exit_code, 0);
}

// ---------------------------------------------------------------- precedence

TEST_F(CliTest, PrintConfig_FlagOverEnvOverFileOverDefault) {
  const std::string path =
      WriteFile("c.yml",
                "rpc-port: 1001\nlog-level: debug\nregion: file-region\nDataCenter: file-dc\n"
                "tags:\n  a: file\nretry-interval: 10s\n");
  const RunResult r = Ckron({"agent", "--print-config", "--config", path, "--rpc-port", "1003",
                             "--tag", "b=flag", "--tag", "c=flag"},
                            {{"CKRON_RPC_PORT", "1002"},
                             {"CKRON_LOG_LEVEL", "warn"},
                             {"DKRON_LOG_LEVEL", "error"},
                             {"DKRON_REGION", "env-region"},
                             {"CKRON_TAGS", "a=env"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["config_file"], path);
  const Json& k = j["keys"];
  EXPECT_EQ(k["rpc-port"]["value"], 1003);
  EXPECT_EQ(k["rpc-port"]["source"], "flag");
  EXPECT_EQ(k["rpc-port"]["from"], "--rpc-port");
  EXPECT_EQ(k["tags"]["value"], Json({{"b", "flag"}, {"c", "flag"}}));
  EXPECT_EQ(k["tags"]["from"], "--tag");
  EXPECT_EQ(k["log-level"]["value"], "warn");  // CKRON_ beats DKRON_ beats the file
  EXPECT_EQ(k["log-level"]["from"], "CKRON_LOG_LEVEL");
  EXPECT_EQ(k["region"]["value"], "env-region");
  EXPECT_EQ(k["region"]["source"], "env");
  EXPECT_EQ(k["datacenter"]["value"], "file-dc");
  EXPECT_EQ(k["datacenter"]["source"], "file");
  EXPECT_EQ(k["datacenter"]["from"], path + " key DataCenter");
  EXPECT_EQ(k["retry-interval"]["value"], "10s");
  EXPECT_EQ(k["profile"]["value"], "lan");
  EXPECT_EQ(k["profile"]["source"], "default");
  EXPECT_FALSE(k["profile"].contains("from"));
  EXPECT_EQ(k["server"]["value"], false);
  EXPECT_EQ(k["data-dir"]["value"], "ckron.data");
}

TEST_F(CliTest, PrintConfig_FindsConfigDirFileAndRedactsSecrets) {
  WriteFile("config/dkron.yml",
            "mail-password: hunter2\nencrypt: AAAAAAAAAAAAAAAAAAAAAA==\nserver: true\n");
  const RunResult r = Ckron({"agent", "--print-config"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("AAAAAAAAAAAAAAAAAAAAAA==")));
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["config_file"], "./config/dkron.yml");
  EXPECT_EQ(j["keys"]["mail-password"]["value"], "<redacted>");
  EXPECT_EQ(j["keys"]["encrypt"]["value"], "<redacted>");
  EXPECT_EQ(j["keys"]["server"]["value"], true);
}

TEST_F(CliTest, PrintConfig_HomeDkronDirIsSearched) {
  WriteFile(".dkron/dkron.json", R"({"node-name": "from-home"})");
  const RunResult r = Ckron({"agent", "--print-config"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["keys"]["node-name"]["value"], "from-home");
}

TEST_F(CliTest, PrintConfig_DeprecatedWebhookUrlWarns) {
  const RunResult r = Ckron({"agent", "--print-config", "--webhook-url", "http://x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(Json::parse(r.out)["warnings"][0].get<std::string>(), HasSubstr("deprecated"));
}

// ---------------------------------------------------------------- keygen

TEST_F(CliTest, Keygen_Prints32RandomBytesInBase64) {
  const RunResult a = Ckron({"keygen"});
  const RunResult b = Ckron({"keygen"});
  ASSERT_EQ(a.exit_code, 0);
  ASSERT_EQ(b.exit_code, 0);
  ASSERT_EQ(a.out.back(), '\n');
  const std::string key = a.out.substr(0, a.out.size() - 1);
  const auto bytes = config::Base64Decode(key);
  ASSERT_TRUE(bytes.has_value()) << key;
  EXPECT_EQ(bytes->size(), 32u);
  EXPECT_NE(a.out, b.out);
}

TEST_F(CliTest, Keygen_KeyIsAcceptedByRealSerf) {
  if (access("/usr/bin/serf", X_OK) != 0) GTEST_SKIP() << "serf is not installed";
  const RunResult k = Ckron({"keygen"});
  ASSERT_EQ(k.exit_code, 0);
  const std::string key = k.out.substr(0, k.out.size() - 1);
  const int bind = FreePort(), rpc = FreePort();
  auto serf = Subprocess::Start(
      {"/usr/bin/serf", "agent", "-node=ckron-keygen-test", "-encrypt=" + key,
       "-bind=127.0.0.1:" + std::to_string(bind), "-rpc-addr=127.0.0.1:" + std::to_string(rpc)},
      env_, dir_);
  const bool started = serf->WaitForText("Encrypted: true", std::chrono::seconds(20));
  serf->Signal(SIGKILL);
  serf->WaitExit(std::chrono::seconds(10));
  EXPECT_TRUE(started) << serf->Stdout() << serf->Stderr();
  // And ckron's own check accepts it.
  EXPECT_EQ(Ckron({"agent", "--print-config", "--encrypt", key}).exit_code, 0);
}

// ---------------------------------------------------------------- version

TEST_F(CliTest, Version_PrintsDkronStyleLines) {
  const RunResult r = Ckron({"version"});
  ASSERT_EQ(r.exit_code, 0);
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0], "Name: ckron");
  EXPECT_THAT(lines[1], ::testing::MatchesRegex("Version: [0-9]+\\.[0-9]+\\.[0-9]+.*"));
  EXPECT_THAT(lines[2], StartsWith("Codename: "));
  EXPECT_EQ(lines[3], "Agent Protocol: 5 (Understands back to: 2)");
}

// ---------------------------------------------------------------- schedule next

// The engine's answer: Next() chained from `from`, in the schedule's zone.
std::vector<std::string> Expected(const std::string& expr, const std::string& zone,
                                  const std::string& from, int n, const std::string& job = "") {
  cron::ParseOptions o;
  o.job_name = job;
  o.default_zone = cron::LoadZone(zone).value();
  const absl::Time start = cron::ParseRfc3339(from).value();
  o.created_at = start;
  const cron::Schedule s = cron::Schedule::Parse(expr, o).value();
  std::vector<std::string> out;
  absl::Time t = start;
  for (int i = 0; i < n; ++i) {
    auto next = s.Next(t);
    if (!next) break;
    out.push_back(cron::FormatRfc3339(*next, s.zone()));
    t = *next;
  }
  return out;
}

TEST_F(CliTest, ScheduleNext_MatchesTheEngine) {
  struct Case {
    std::string expr, zone, from;
    int n;
    std::string job;
  };
  const Case cases[] = {
      {"0 30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 4, ""},  // across DST
      {"0 */7 * * * *", "Europe/Berlin", "2026-03-29T00:50:00Z", 6, ""},
      {"@every 1h30m", "UTC", "2026-01-01T00:00:00Z", 3, ""},
      {"TZ=Asia/Tokyo @daily", "UTC", "2026-01-01T00:00:00Z", 2, ""},
      {"0 ~ ~ * * *", "UTC", "2026-01-01T00:00:00Z", 3, "backup-db"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"schedule", "next", c.expr, "--timezone",       c.zone,
                                     "--from",   c.from, "-n",   std::to_string(c.n)};
    if (!c.job.empty()) args.insert(args.end(), {"--job-name", c.job});
    const RunResult r = Ckron(args);
    ASSERT_EQ(r.exit_code, 0) << c.expr << ": " << r.err;
    const auto lines = Lines(r.out);
    EXPECT_EQ(lines.size(), static_cast<std::size_t>(c.n)) << c.expr;
    EXPECT_EQ(lines, Expected(c.expr, c.zone, c.from, c.n, c.job)) << c.expr;
  }
}

TEST_F(CliTest, ScheduleNext_DefaultsToFiveLines) {
  const RunResult r = Ckron({"schedule", "next", "@hourly", "--timezone", "UTC"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(r.out).size(), 5u);
  EXPECT_THAT(r.out, HasSubstr(":00:00Z"));  // UTC is written Z, as Go does
}

TEST_F(CliTest, ScheduleNext_FewerFiresThanAskedPrintsWhatThereIs) {
  RunResult r = Ckron({"schedule", "next", "@at 2030-01-01T00:00:00Z", "--timezone", "UTC",
                       "--from", "2026-01-01T00:00:00Z", "-n", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2030-01-01T00:00:00Z\n");
  r = Ckron({"schedule", "next", "@manually", "-n", "3"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, ScheduleNext_ErrorsAreExit2) {
  RunResult r = Ckron({"schedule", "next", "0 61 * * * *"});
  EXPECT_EQ(r.exit_code, 2);
  const std::string cron_msg = cron::Schedule::Parse("0 61 * * * *").status().message();
  EXPECT_THAT(r.err, HasSubstr(cron_msg));

  r = Ckron({"schedule", "next", "0 ~ * * * *"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--job-name"));

  r = Ckron({"schedule", "next", "@daily", "--timezone", "Mars/Olympus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--timezone"));

  r = Ckron({"schedule", "next", "@daily", "--from", "yesterday"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--from"));

  EXPECT_EQ(Ckron({"schedule", "next", "@daily", "-n", "0"}).exit_code, 2);
  EXPECT_EQ(Ckron({"schedule", "next"}).exit_code, 2);
}

// ---------------------------------------------------------------- clients

TEST_F(CliTest, Clients_UnreachableAgentIsExit1WithAClearMessage) {
  const std::string addr = "127.0.0.1:" + std::to_string(FreePort());
  RunResult r = Ckron({"leave", "--rpc-addr", addr});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the agent at " + addr));
  r = Ckron({"raft", "list-peers", "--rpc-addr", addr});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach the agent at " + addr));
}

TEST_F(CliTest, Clients_CtrlCInterruptsAWaitingCall) {
  // A listener that never speaks gRPC: the call waits for its deadline.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto leave =
      StartCkron({"leave", "--rpc-addr", "127.0.0.1:" + std::to_string(ntohs(addr.sin_port))});
  pollfd p{fd, POLLIN, 0};
  const bool connected = poll(&p, 1, 20000) == 1;  // the client has connected
  leave->Signal(SIGINT);
  const auto code = leave->WaitExit(std::chrono::seconds(5));
  close(fd);
  ASSERT_TRUE(connected);
  EXPECT_EQ(code, 128 + SIGINT) << "SIGINT must not be blocked outside the agent";
}

TEST_F(CliTest, Clients_UsageErrorsAreExit2) {
  EXPECT_EQ(Ckron({"raft", "remove-peer", "--rpc-addr", "127.0.0.1:1"}).exit_code,
            2);  // no --peer-id
  const RunResult r = Ckron({"leave", "--rpc-addr", "{{ GetNothing }}:1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--rpc-addr"));
}

}  // namespace
}  // namespace ckron::testing
