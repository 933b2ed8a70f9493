// Gossip interop of the real agent: a HashiCorp `serf agent` (Debian serf
// 0.9.4) joined to a ckron cluster sees the ckron nodes with Dkron's tags
// (`serf members -format=json`), with and without --encrypt; a serf agent or
// a ckron agent with the wrong key (or none) cannot join, and the reason is
// logged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent_cluster.h"

namespace ckron::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kSerf[] = "/usr/bin/serf";

class SerfAgent {
 public:
  SerfAgent(const std::filesystem::path& dir, const std::string& name,
            const std::string& key = "") {
    bind_ = "127.0.0.1:" + std::to_string(raft::testing::FreeTcpPort());
    rpc_ = "127.0.0.1:" + std::to_string(raft::testing::FreeTcpPort());
    std::vector<std::string> argv = {
        kSerf, "agent", "-node=" + name, "-bind=" + bind_, "-rpc-addr=" + rpc_, "-tag", "role=web"};
    if (!key.empty()) argv.push_back("-encrypt=" + key);
    auto p = raft::testing::Process::Spawn(argv, dir / (name + ".log"));
    EXPECT_TRUE(p.ok());
    if (p.ok()) process_ = std::move(*p);
    EXPECT_TRUE(Eventually([&] { return Run({"members"}).exit_code == 0; }));
  }
  CommandResult Run(std::vector<std::string> args) const {
    args.insert(args.begin(), kSerf);
    args.push_back("-rpc-addr=" + rpc_);
    return RunCommand(args);
  }
  CommandResult Join(const std::string& addr) const {
    return RunCommand({kSerf, "join", "-rpc-addr=" + rpc_, addr});
  }
  json Member(const std::string& name) const {
    const CommandResult r = Run({"members", "-format=json"});
    try {
      const json doc = json::parse(r.output);  // outlives the loop (C++20 range-for)
      for (const json& m : doc.at("members")) {
        if (m.at("name") == name) return m;
      }
    } catch (const json::exception&) {
    }
    return json();
  }
  std::string StatusOf(const std::string& name) const {
    const json m = Member(name);
    return m.is_object() ? m.value("status", "") : "";
  }
  const std::string& bind() const { return bind_; }

 private:
  std::string bind_, rpc_;
  raft::testing::Process process_;
};

std::string SerfKey() {
  const CommandResult r = RunCommand({kSerf, "keygen"});
  std::string key = r.output;
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  return key;
}

void ExpectDkronTags(const AgentCluster& c, const SerfAgent& serf) {
  ASSERT_TRUE(Eventually([&] { return serf.StatusOf("n0") == "alive"; })) << c.Describe();
  ASSERT_TRUE(Eventually([&] { return serf.StatusOf("n1") == "alive"; })) << c.Describe();
  const json server = serf.Member("n0")["tags"];
  EXPECT_EQ(server["role"], "dkron");
  EXPECT_EQ(server["server"], "true");
  EXPECT_EQ(server["dc"], "dc1");
  EXPECT_EQ(server["region"], "global");
  EXPECT_EQ(server["expect"], "1");
  EXPECT_EQ(server["rpc_addr"], c.rpc_addr(0));
  EXPECT_EQ(server["port"], c.rpc_addr(0).substr(c.rpc_addr(0).rfind(':') + 1));
  EXPECT_TRUE(server.contains("version"));
  EXPECT_TRUE(server.contains("raft_addr"));
  const json agent = serf.Member("n1")["tags"];
  EXPECT_EQ(agent["role"], "dkron");
  EXPECT_FALSE(agent.contains("server"));
  EXPECT_FALSE(agent.contains("raft_addr"));
  // And ckron sees the serf agent with its tag.
  EXPECT_TRUE(Eventually([&] { return c.MemberStatus(1, "serf1") == "alive"; })) << c.Describe();
}

class SerfInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kSerf)) GTEST_SKIP() << "serf is not installed";
  }
};

TEST_F(SerfInterop, SerfSeesCkronNodesWithDkronTags) {
  AgentCluster c;
  const int s = c.Add({.server = true, .bootstrap_expect = 1});
  const int a = c.Add({.server = false});
  ASSERT_TRUE(c.Start(s).ok());
  ASSERT_TRUE(c.Start(a, {c.gossip_addr(s)}).ok());
  SerfAgent serf(c.data_dir(s).parent_path(), "serf1");
  const CommandResult j = serf.Join(c.gossip_addr(s));
  ASSERT_EQ(j.exit_code, 0) << j.output << c.Describe();
  ExpectDkronTags(c, serf);
}

TEST_F(SerfInterop, EncryptedPoolWorksAndWrongKeysAreRefused) {
  const std::string key = SerfKey();
  ASSERT_FALSE(key.empty());
  AgentCluster c;
  const int s = c.Add({.server = true, .bootstrap_expect = 1, .encrypt = key});
  const int a = c.Add({.server = false, .encrypt = key});
  ASSERT_TRUE(c.Start(s).ok());
  ASSERT_TRUE(c.Start(a, {c.gossip_addr(s)}).ok());
  SerfAgent serf(c.data_dir(s).parent_path(), "serf1", key);
  const CommandResult j = serf.Join(c.gossip_addr(s));
  ASSERT_EQ(j.exit_code, 0) << j.output << c.Describe();
  ExpectDkronTags(c, serf);

  // A serf agent with another key is refused.
  SerfAgent wrong_serf(c.data_dir(s).parent_path(), "serf2", SerfKey());
  const CommandResult refused = wrong_serf.Join(c.gossip_addr(s));
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(wrong_serf.Member("n0").is_null());

  // A ckron agent with the wrong key, or with none, fails to join and says why.
  const int bad =
      c.Add({.server = false, .encrypt = SerfKey(), .extra_args = {"--join", c.gossip_addr(s)}});
  const int none = c.Add({.server = false, .extra_args = {"--join", c.gossip_addr(s)}});
  ASSERT_TRUE(c.Start(bad).ok());
  ASSERT_TRUE(c.Start(none).ok());
  EXPECT_TRUE(Eventually([&] {
    return c.LogContains(bad, "failed: No installed keys could decrypt the message");
  })) << c.Log(bad);
  EXPECT_TRUE(Eventually([&] {
    return c.LogContains(none,
                         "failed: Remote state is encrypted and encryption is not configured");
  })) << c.Log(none);
  EXPECT_EQ(c.MemberStatus(s, c.name(bad)), "");
  EXPECT_EQ(c.MemberStatus(s, c.name(none)), "");
}

}  // namespace
}  // namespace ckron::testing
