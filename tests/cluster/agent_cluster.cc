#include "agent_cluster.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "fsm/codec.h"
#include "replica/replicated_state.h"

namespace ckron::testing {
namespace {

absl::Time In(milliseconds d) {
  return absl::Now() + absl::FromChrono(d);
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool Eventually(const std::function<bool()>& done, milliseconds timeout) {
  return raft::testing::WaitFor(done, timeout, milliseconds(50));
}

CommandResult RunCommand(const std::vector<std::string>& argv, milliseconds timeout) {
  static std::atomic<int> counter{0};
  const std::filesystem::path out =
      std::filesystem::temp_directory_path() /
      ("ckron-cmd-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".out");
  CommandResult r;
  auto p = raft::testing::Process::Spawn(argv, out);
  if (!p.ok()) {
    r.output = p.status().ToString();
    return r;
  }
  if (p->WaitExit(timeout)) {
    const int st = p->wait_status();
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  } else {
    p->Kill();
  }
  r.output = ReadFile(out);
  std::filesystem::remove(out);
  return r;
}

AgentCluster::AgentCluster(const std::string& prefix) : dir_(prefix) {}

AgentCluster::~AgentCluster() {
  for (Slot& s : slots_) s.process.Kill();
}

int AgentCluster::Add(AgentSpec spec) {
  Slot s;
  s.name = "n" + std::to_string(slots_.size());
  s.spec = std::move(spec);
  s.gossip_port = raft::testing::FreeTcpPort();
  s.rpc_port = raft::testing::FreeTcpPort();
  s.raft_port = raft::testing::FreeTcpPort();
  s.http_port = raft::testing::FreeTcpPort();
  slots_.push_back(std::move(s));
  const int i = size() - 1;
  // An explicit configuration file, so that no ckron.yml or dkron.yml of
  // the machine is picked up; it also sets the YAML-only reconcile period.
  std::ofstream(config_path(i)) << "log-level: info\nreconcileinterval: 5s\n";
  return i;
}

std::string AgentCluster::gossip_addr(int i) const {
  return "127.0.0.1:" + std::to_string(slot(i).gossip_port);
}
std::string AgentCluster::rpc_addr(int i) const {
  return "127.0.0.1:" + std::to_string(slot(i).rpc_port);
}
std::string AgentCluster::http_addr(int i) const {
  return "127.0.0.1:" + std::to_string(slot(i).http_port);
}
std::filesystem::path AgentCluster::data_dir(int i) const {
  return dir_.path() / (slot(i).name + ".data");
}
std::filesystem::path AgentCluster::config_path(int i) const {
  return dir_.path() / (slot(i).name + ".yml");
}

Status AgentCluster::Start(int i, const std::vector<std::string>& join) {
  Slot& s = slot(i);
  std::vector<std::string> argv = {CKRON_BIN,     "agent",
                                   "--config",    config_path(i).string(),
                                   "--node-name", s.name,
                                   "--bind-addr", gossip_addr(i),
                                   "--rpc-port",  std::to_string(s.rpc_port),
                                   "--raft-port", std::to_string(s.raft_port),
                                   "--http-addr", http_addr(i),
                                   "--data-dir",  data_dir(i).string(),
                                   "--profile",   "local"};
  if (s.spec.server) argv.push_back("--server");
  if (s.spec.bootstrap_expect > 0) {
    argv.insert(argv.end(), {"--bootstrap-expect", std::to_string(s.spec.bootstrap_expect)});
  }
  if (!s.spec.encrypt.empty()) argv.insert(argv.end(), {"--encrypt", s.spec.encrypt});
  for (const std::string& j : join) {
    argv.insert(argv.end(), {"--retry-join", j, "--retry-interval", "1s"});
  }
  argv.insert(argv.end(), s.spec.extra_args.begin(), s.spec.extra_args.end());
  CKRON_ASSIGN_OR_RETURN(s.process,
                         raft::testing::Process::Spawn(argv, dir_.path() / (s.name + ".log")));
  if (!Eventually([&] { return !s.process.Running() || Members(i).ok(); }) || !Members(i).ok()) {
    return Status::Unavailable("agent " + s.name + " did not start:\n" + Log(i));
  }
  return OkStatus();
}

Status AgentCluster::StartServers(int n, const std::string& encrypt) {
  std::set<std::string> names;
  for (int k = 0; k < n; ++k) {
    const int i = Add({.server = true, .bootstrap_expect = n, .encrypt = encrypt});
    names.insert(name(i));
  }
  for (int k = 0; k < n; ++k) {
    CKRON_RETURN_IF_ERROR(
        Start(k, k == 0 ? std::vector<std::string>{} : std::vector<std::string>{gossip_addr(0)}));
  }
  if (WaitForLeader(60s) < 0) return Status::Unavailable("no leader:\n" + Describe());
  for (int k = 0; k < n; ++k) {
    if (!Eventually([&] { return HasVoters(k, names); })) {
      return Status::Unavailable("server " + name(k) + " does not see " + std::to_string(n) +
                                 " voters:\n" + Describe());
    }
  }
  return OkStatus();
}

void AgentCluster::Kill(int i) {
  slot(i).process.Kill();
}

void AgentCluster::Signal(int i, int sig) {
  slot(i).process.Signal(sig);
}

std::optional<int> AgentCluster::WaitExit(int i, milliseconds timeout) {
  Slot& s = slot(i);
  if (!s.process.WaitExit(timeout)) return std::nullopt;
  const int st = s.process.wait_status();
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool AgentCluster::Running(int i) {
  return slot(i).process.Running();
}

std::string AgentCluster::Log(int i) const {
  return raft::testing::TailFile(dir_.path() / (slot(i).name + ".log"), 6000);
}

std::string AgentCluster::FullLog(int i) const {
  return ReadFile(dir_.path() / (slot(i).name + ".log"));
}

bool AgentCluster::LogContains(int i, const std::string& needle) const {
  return ReadFile(dir_.path() / (slot(i).name + ".log")).find(needle) != std::string::npos;
}

std::string AgentCluster::Describe() const {
  std::string out;
  for (int i = 0; i < size(); ++i) out += "----- " + name(i) + " -----\n" + Log(i) + "\n";
  return out;
}

Result<std::vector<rpc::RaftPeer>> AgentCluster::Peers(int i) const {
  return rpc::ListRaftPeers(rpc_addr(i), {.timeout = absl::Seconds(5)});
}

Result<rpc::ServerStatus> AgentCluster::ServerStatus(int i) const {
  return client_.GetStatus(rpc_addr(i), In(5s));
}

Result<std::vector<rpc::MemberView>> AgentCluster::Members(int i) const {
  return rpc::ListMembers(rpc_addr(i), {.timeout = absl::Seconds(5)});
}

std::string AgentCluster::MemberStatus(int i, const std::string& who) const {
  auto members = Members(i);
  if (!members.ok()) return "";
  for (const rpc::MemberView& m : *members) {
    if (m.name == who) return m.status;
  }
  return "";
}

int AgentCluster::Leader() const {
  int leader = -1;
  std::uint64_t term = 0;
  for (int i = 0; i < size(); ++i) {
    if (!slot(i).spec.server) continue;  // a stopped agent does not answer
    auto st = ServerStatus(i);
    if (st.ok() && st->state == "leader" && st->term.value() >= term) {
      leader = i;
      term = st->term.value();
    }
  }
  return leader;
}

int AgentCluster::WaitForLeader(milliseconds timeout, int not_this) const {
  int leader = -1;
  Eventually(
      [&] {
        leader = Leader();
        return leader >= 0 && leader != not_this;
      },
      timeout);
  return leader != not_this ? leader : -1;
}

bool AgentCluster::HasVoters(int i, const std::set<std::string>& names) const {
  auto peers = Peers(i);
  if (!peers.ok()) return false;
  std::set<std::string> voters;
  for (const rpc::RaftPeer& p : *peers) {
    if (!p.voter) return false;
    voters.insert(p.node);
  }
  return voters == names;
}

Status AgentCluster::PutJob(int i, const std::string& name, milliseconds timeout) const {
  fsm::Job job;
  job.name = name;
  job.schedule = "@every 1h";
  job.executor = "shell";
  job.executor_config = {{"command", "true"}};
  return PutJob(i, job, timeout);
}

Status AgentCluster::PutJob(int i, const fsm::Job& job, milliseconds timeout) const {
  auto r = client_.Propose(rpc_addr(i), replica::EncodeCommand(absl::Now(), fsm::PutJob{job}),
                           /*forwarded=*/false, In(timeout));
  if (!r.ok()) return r.status();
  return replica::OutcomeOf(*r).status;
}

Result<fsm::Job> AgentCluster::GetJob(int i, const std::string& name) const {
  return client_.GetJob(rpc_addr(i), name, In(5s));
}

Result<std::vector<fsm::Execution>> AgentCluster::Executions(int i, const std::string& name,
                                                             bool with_output) const {
  return client_.ListExecutions(rpc_addr(i), name, with_output, In(10s));
}

Result<std::set<std::string>> AgentCluster::JobNames(int i) const {
  std::set<std::string> names;
  std::string after;
  while (true) {
    CKRON_ASSIGN_OR_RETURN(rpc::JobPage page, client_.ListJobs(rpc_addr(i), after, 1000, In(10s)));
    for (const fsm::Job& j : page.jobs) names.insert(j.name);
    if (page.next_start_after.empty()) return names;
    after = page.next_start_after;
  }
}

}  // namespace ckron::testing
