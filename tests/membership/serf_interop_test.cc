// Interop with the real HashiCorp serf agent (Debian serf 0.9.4) on
// 127.0.0.1: each side joins the other, sees the other's tags and status,
// a serf event reaches ckron, SIGKILL is detected both ways, graceful leave
// shows `left` both ways, and the same with encryption (a wrong key is
// refused). Deadlines are generous; nothing here measures speed.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "process.h"

namespace ckron::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

int BasePort() {
  static const int base = 21000 + static_cast<int>(getpid() % 150) * 40;
  return base;
}

std::string Dir() {
  static const std::string d = [] {
    std::string t = "/tmp/ckron-interop-" + std::to_string(getpid());
    std::system(("mkdir -p " + t).c_str());
    return t;
  }();
  return d;
}

struct SerfAgent {
  std::string name;
  int port;
  int rpc;
  std::unique_ptr<Process> proc;
  std::string RpcAddr() const { return "127.0.0.1:" + std::to_string(rpc); }
  std::string Addr() const { return "127.0.0.1:" + std::to_string(port); }
  json Members() const {
    const std::string out =
        RunCapture({"serf", "members", "-format=json", "-rpc-addr=" + RpcAddr()});
    try {
      return json::parse(out)["members"];
    } catch (...) {
      return json::array();
    }
  }
  std::string StatusOf(const std::string& node) const {
    for (const auto& m : Members()) {
      if (m["name"] == node) return m["status"];
    }
    return "";
  }
};

SerfAgent StartSerf(const std::string& name, int slot, const std::vector<std::string>& extra = {}) {
  SerfAgent a{name, BasePort() + slot, BasePort() + 20 + slot, nullptr};
  std::vector<std::string> argv = {
      "serf", "agent",    "-node=" + name,   "-bind=" + a.Addr(), "-rpc-addr=" + a.RpcAddr(),
      "-tag", "role=web", "-log-level=debug"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  a.proc = std::make_unique<Process>(argv, Dir() + "/" + name + ".log");
  EXPECT_TRUE(WaitFor(
      [&] {
        return !RunCapture({"serf", "members", "-rpc-addr=" + a.RpcAddr()}).empty();
      },
      10s))
      << a.proc->Log();
  return a;
}

struct CkronNode {
  std::string name;
  int port;
  std::string status_file;
  std::unique_ptr<Process> proc;
  std::string Addr() const { return "127.0.0.1:" + std::to_string(port); }
  json Status() const {
    std::ifstream in(status_file);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      return json::parse(ss.str());
    } catch (...) {
      return json::object();
    }
  }
  json Member(const std::string& node) const {
    json st = Status();
    if (!st.contains("members")) return json();
    for (const auto& m : st["members"]) {
      if (m["name"] == node) return m;
    }
    return json();
  }
  std::string StatusOf(const std::string& node) const {
    json m = Member(node);
    return m.is_null() ? "" : m["status"].get<std::string>();
  }
};

CkronNode StartCkron(const std::string& name, int slot,
                     const std::vector<std::string>& extra = {}) {
  CkronNode n{name, BasePort() + slot, Dir() + "/" + name + ".json", nullptr};
  std::remove(n.status_file.c_str());
  std::vector<std::string> argv = {
      CKRON_MEMBER_NODE,        "--name",      name,    "--bind",     n.Addr(),
      "--status-file",          n.status_file, "--tag", "role=dkron", "--tag",
      "rpc_addr=127.0.0.1:6868"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  n.proc = std::make_unique<Process>(argv, Dir() + "/" + name + ".log");
  EXPECT_TRUE(WaitFor([&] { return !n.StatusOf(name).empty(); }, 10s)) << n.proc->Log();
  return n;
}

TEST(SerfInterop, SerfJoinsCkronBothSeeTagsEventsArriveAndSerfCrashIsDetected) {
  CkronNode c = StartCkron("ck1", 1);
  SerfAgent s = StartSerf("sf1", 2, {"-join=" + c.Addr()});
  ASSERT_TRUE(WaitFor([&] { return s.StatusOf("ck1") == "alive"; }, 20s)) << s.Members().dump();
  for (const auto& m : s.Members()) {
    if (m["name"] == "ck1") {
      EXPECT_EQ(m["tags"]["role"], "dkron");
      EXPECT_EQ(m["tags"]["rpc_addr"], "127.0.0.1:6868");
    }
  }
  ASSERT_TRUE(WaitFor([&] { return c.StatusOf("sf1") == "alive"; }, 20s)) << c.Status().dump();
  EXPECT_EQ(c.Member("sf1")["tags"]["role"], "web");

  RunCapture({"serf", "event", "-rpc-addr=" + s.RpcAddr(), "deploy", "v42"});
  EXPECT_TRUE(WaitFor(
      [&] {
        return c.proc->Log().find(R"("event":"user","name":"deploy","payload":"v42")") !=
               std::string::npos;
      },
      20s))
      << c.proc->Log();

  // A query to ckron is acked and neither crashes nor hangs it.
  const std::string q =
      RunCapture({"serf", "query", "-rpc-addr=" + s.RpcAddr(), "-timeout=2s", "whoami"});
  EXPECT_NE(q.find("Total Acks: 2"), std::string::npos) << q;
  EXPECT_EQ(c.StatusOf("ck1"), "alive");

  s.proc->Kill(SIGKILL);
  EXPECT_TRUE(WaitFor([&] { return c.StatusOf("sf1") == "failed"; }, 60s)) << c.Status().dump();
}

TEST(SerfInterop, CkronJoinsSerfAndCkronCrashIsDetectedBySerf) {
  SerfAgent s = StartSerf("sf2", 3);
  SerfAgent s2 = StartSerf("sf3", 4, {"-join=" + s.Addr()});
  CkronNode c = StartCkron("ck2", 5, {"--join", s.Addr()});
  ASSERT_TRUE(
      WaitFor([&] { return c.StatusOf("sf2") == "alive" && c.StatusOf("sf3") == "alive"; }, 20s))
      << c.Status().dump();
  ASSERT_TRUE(WaitFor([&] { return s2.StatusOf("ck2") == "alive"; }, 20s)) << s2.Members().dump();
  c.proc->Kill(SIGKILL);
  EXPECT_TRUE(
      WaitFor([&] { return s.StatusOf("ck2") == "failed" && s2.StatusOf("ck2") == "failed"; }, 60s))
      << s.Members().dump();
}

TEST(SerfInterop, GracefulLeaveShowsLeftOnBothSides) {
  CkronNode c = StartCkron("ck3", 6);
  CkronNode c2 = StartCkron("ck4", 7, {"--join", c.Addr()});
  SerfAgent s = StartSerf("sf4", 8, {"-join=" + c.Addr()});
  ASSERT_TRUE(
      WaitFor([&] { return s.StatusOf("ck4") == "alive" && c.StatusOf("sf4") == "alive"; }, 20s));
  c2.proc->Kill(SIGTERM);  // graceful leave
  EXPECT_TRUE(c2.proc->Wait(20s));
  EXPECT_TRUE(WaitFor([&] { return s.StatusOf("ck4") == "left"; }, 20s)) << s.Members().dump();
  RunCapture({"serf", "leave", "-rpc-addr=" + s.RpcAddr()});
  EXPECT_TRUE(WaitFor([&] { return c.StatusOf("sf4") == "left"; }, 20s)) << c.Status().dump();
}

TEST(SerfInterop, EncryptedPoolWorksAndAWrongOrMissingKeyIsRefused) {
  const std::string key = RunCapture({"serf", "keygen"});
  const std::string k = key.substr(0, key.find('\n'));
  CkronNode c = StartCkron("ck5", 9, {"--encrypt", k});
  SerfAgent s = StartSerf("sf5", 10, {"-encrypt=" + k, "-join=" + c.Addr()});
  ASSERT_TRUE(
      WaitFor([&] { return s.StatusOf("ck5") == "alive" && c.StatusOf("sf5") == "alive"; }, 20s))
      << s.proc->Log() << c.proc->Log();

  const std::string other = RunCapture({"serf", "keygen"});
  SerfAgent wrong =
      StartSerf("sf6", 11, {"-encrypt=" + other.substr(0, other.find('\n')), "-join=" + c.Addr()});
  SerfAgent none = StartSerf("sf7", 12, {"-join=" + c.Addr()});
  CkronNode wrong_ck =
      StartCkron("ck6", 13, {"--encrypt", other.substr(0, other.find('\n')), "--join", s.Addr()});
  std::this_thread::sleep_for(3s);  // give the refused joins time to be refused
  EXPECT_EQ(c.StatusOf("sf6"), "");
  EXPECT_EQ(c.StatusOf("sf7"), "");
  EXPECT_EQ(s.StatusOf("ck6"), "");
  EXPECT_NE(wrong.proc->Log().find("No installed keys could decrypt the message"),
            std::string::npos)
      << wrong.proc->Log();
  EXPECT_NE(c.proc->Log().find("Encryption is configured but remote state is not encrypted"),
            std::string::npos)
      << "ckron should log why the plaintext join was refused\n"
      << c.proc->Log();
  EXPECT_GT(c.Status()["stats"]["streams_rejected"].get<int>(), 0);
  EXPECT_NE(wrong_ck.proc->Log().find("No installed keys could decrypt the message"),
            std::string::npos)
      << wrong_ck.proc->Log();
}

}  // namespace
}  // namespace ckron::testing
