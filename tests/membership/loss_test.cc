// Gossip under packet loss, on real processes and a real network stack:
// five ckron gossip nodes (ckron_member_node), each in its own network
// namespace, wired to a bridge in a sixth ("switch") namespace. nftables in
// every node's namespace drops 20 % of the packets it receives — UDP and TCP
// alike (`numgen random mod 100 < 20 drop`; this kernel has no tc netem).
//
//   1. For two minutes under loss, no node declares a live node failed.
//   2. Then one node is SIGKILLed; every survivor declares it failed.
//
// Behaviour only: deadlines are generous and nothing here measures speed.
// Needs root, ip(8) and nft(8); skipped without them. Every namespace (and
// with it every veth and nftables rule) is deleted when the test ends, also
// on failure; leftovers of an earlier run that died are deleted at start.
// Label: slow (about 2.5 minutes).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "process.h"

namespace ckron::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kNodes = 5;
constexpr int kLossPercent = 20;
constexpr auto kLossPeriod = 120s;
constexpr std::string_view kPrefix = "ckloss";  // namespace names: ckloss<pid>-sw, ckloss<pid>-n<i>

bool Have(const std::string& tool) {
  return RunStatus({tool, "-V"}) == 0;
}

// Runs ip(8), failing the test (not crashing) on error.
void IpCmd(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  const int rc = RunStatus(argv, &out);
  std::string cmd;
  for (const auto& a : argv) cmd += a + " ";
  ASSERT_EQ(rc, 0) << cmd << "\n" << out;
}

// Deletes namespaces named ckloss<pid>-* whose creating process is gone,
// killing what still runs inside them (processes an earlier run started).
void CleanLeftovers() {
  const std::string list = RunCapture({"ip", "netns", "list"});
  std::istringstream in(list);
  std::string line;
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find(' '));
    if (!name.starts_with(kPrefix)) continue;
    const std::string digits = name.substr(kPrefix.size(), name.find('-') - kPrefix.size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t owner = static_cast<pid_t>(std::stol(digits));
    if (owner == getpid() || kill(owner, 0) == 0) continue;  // ours, or a live run
    std::istringstream pids(RunCapture({"ip", "netns", "pids", name}));
    for (pid_t p; pids >> p;) kill(p, SIGKILL);
    RunStatus({"ip", "netns", "del", name});
  }
}

// The namespaces of one run. The destructor kills the nodes first, then
// deletes every namespace this run created.
class LossNet {
 public:
  LossNet() : tag_(std::string(kPrefix) + std::to_string(getpid())) {}
  ~LossNet() {
    nodes_.clear();  // SIGKILL + reap
    for (auto it = created_.rbegin(); it != created_.rend(); ++it)
      RunStatus({"ip", "netns", "del", *it});
  }

  std::string Switch() const { return tag_ + "-sw"; }
  std::string Ns(int i) const { return tag_ + "-n" + std::to_string(i); }
  static std::string Ip(int i) { return "10.77.0." + std::to_string(i + 1); }

  void Build() {
    AddNs(Switch());
    IpCmd({"-n", Switch(), "link", "add", "br0", "type", "bridge"});
    IpCmd({"-n", Switch(), "link", "set", "br0", "up"});
    for (int i = 0; i < kNodes; ++i) {
      AddNs(Ns(i));
      const std::string port = "p" + std::to_string(i);
      IpCmd({"-n", Switch(), "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
             Ns(i)});
      IpCmd({"-n", Switch(), "link", "set", port, "master", "br0"});
      IpCmd({"-n", Switch(), "link", "set", port, "up"});
      IpCmd({"-n", Ns(i), "addr", "add", Ip(i) + "/24", "dev", "eth0"});
      IpCmd({"-n", Ns(i), "link", "set", "eth0", "up"});
      IpCmd({"-n", Ns(i), "link", "set", "lo", "up"});
    }
  }

  // Every node drops kLossPercent % of what it receives from the others.
  void StartLoss(const std::string& dir) {
    const std::string rules = dir + "/loss.nft";
    std::ofstream(rules) << "table inet ckloss {\n"
                         << "  chain input {\n"
                         << "    type filter hook input priority 0; policy accept;\n"
                         << "    ip saddr 10.77.0.0/24 numgen random mod 100 < " << kLossPercent
                         << " counter drop\n"
                         << "  }\n"
                         << "}\n";
    for (int i = 0; i < kNodes; ++i) {
      std::string out;
      ASSERT_EQ(RunStatus({"ip", "netns", "exec", Ns(i), "nft", "-f", rules}, &out), 0) << out;
    }
  }
  // Packets dropped so far by the rule in node i's namespace.
  long Dropped(int i) const {
    const std::string out =
        RunCapture({"ip", "netns", "exec", Ns(i), "nft", "list", "table", "inet", "ckloss"});
    const auto at = out.find("packets ");
    return at == std::string::npos ? -1 : std::stol(out.substr(at + 8));
  }

  void StartNode(int i, const std::string& dir) {
    std::vector<std::string> argv = {"ip", "netns", "exec", Ns(i), CKRON_MEMBER_NODE, "--name",
                                     Name(i), "--bind", Ip(i) + ":7946", "--status-file",
                                     StatusFile(dir, i),
                                     // Raw events: a flap must not vanish into a batch.
                                     "--coalesce-ms", "0"};
    if (i > 0)
      argv.insert(argv.end(), {"--retry-join", Ip(0) + ":7946", "--retry-interval-ms", "500"});
    nodes_.resize(kNodes);
    nodes_[static_cast<std::size_t>(i)] =
        std::make_unique<Process>(argv, dir + "/" + Name(i) + ".log");
  }
  Process& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }

  static std::string Name(int i) { return "n" + std::to_string(i); }
  static std::string StatusFile(const std::string& dir, int i) {
    return dir + "/" + Name(i) + ".json";
  }

 private:
  void AddNs(const std::string& name) {
    IpCmd({"netns", "add", name});
    created_.push_back(name);
  }
  std::string tag_;
  std::vector<std::string> created_;
  std::vector<std::unique_ptr<Process>> nodes_;
};

// The status node i reports for `subject` ("" if unknown).
std::string StatusOf(const std::string& dir, int i, const std::string& subject) {
  std::ifstream in(LossNet::StatusFile(dir, i));
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    const json doc = json::parse(ss.str());
    for (const auto& m : doc.at("members")) {
      if (m.at("name") == subject) return m.at("status").get<std::string>();
    }
  } catch (...) {
  }
  return "";
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(GossipUnderLoss, TwentyPercentLossForTwoMinutesFailsNoLiveNodeThenAKilledNodeFails) {
  if (geteuid() != 0 || !Have("ip") || RunStatus({"nft", "--version"}) != 0) {
    GTEST_SKIP() << "needs root, ip and nft (network namespaces + nftables)";
  }
  CleanLeftovers();
  const std::string dir = "/tmp/ckron-loss-" + std::to_string(getpid());
  ASSERT_EQ(RunStatus({"mkdir", "-p", dir}), 0);
  LossNet net;
  ASSERT_NO_FATAL_FAILURE(net.Build());
  for (int i = 0; i < kNodes; ++i) net.StartNode(i, dir);

  auto all_alive = [&] {
    for (int v = 0; v < kNodes; ++v) {
      for (int s = 0; s < kNodes; ++s) {
        if (StatusOf(dir, v, LossNet::Name(s)) != "alive") return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(WaitFor(all_alive, 60s)) << net.node(0).Log();

  ASSERT_NO_FATAL_FAILURE(net.StartLoss(dir));
  std::vector<std::size_t> offset(kNodes);
  for (int i = 0; i < kNodes; ++i) offset[static_cast<std::size_t>(i)] = net.node(i).Log().size();
  std::this_thread::sleep_for(kLossPeriod);

  // 1. Nobody declared a live node failed, not even for a moment (the Serf
  // layer logs every member-failed it raises).
  long dropped = 0;
  for (int i = 0; i < kNodes; ++i) {
    const std::string log = net.node(i).Log().substr(offset[static_cast<std::size_t>(i)]);
    EXPECT_EQ(Count(log, "EventMemberFailed"), 0) << LossNet::Name(i) << " under loss:\n" << log;
    std::printf("%s under loss: %d suspicions raised, %d refutations\n", LossNet::Name(i).c_str(),
                Count(log, "has failed, no acks received"), Count(log, "refuting"));
    dropped += net.Dropped(i);
  }
  std::printf("nftables dropped %ld packets\n", dropped);
  EXPECT_GT(dropped, 0) << "the loss rules dropped nothing";
  EXPECT_TRUE(all_alive());

  // 2. A crash is still detected by every survivor, loss and all.
  const int victim = kNodes - 1;
  net.node(victim).Kill(SIGKILL);
  EXPECT_TRUE(net.node(victim).Wait(10s));
  EXPECT_TRUE(WaitFor(
      [&] {
        for (int v = 0; v < victim; ++v) {
          if (StatusOf(dir, v, LossNet::Name(victim)) != "failed") return false;
        }
        return true;
      },
      90s))
      << net.node(0).Log();
  for (int v = 0; v < victim; ++v) {
    EXPECT_EQ(StatusOf(dir, v, LossNet::Name(v == 0 ? 1 : 0)), "alive") << "viewer " << v;
  }
  if (!HasFailure()) RunStatus({"rm", "-rf", dir});
}

}  // namespace
}  // namespace ckron::testing
