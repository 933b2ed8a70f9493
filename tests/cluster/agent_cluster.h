// Real `ckron agent` processes on 127.0.0.1 for the cluster tests: free
// ports, one scratch data directory and log file each, started and stopped
// by PID (SIGKILL, SIGTERM), and always killed and reaped when the cluster
// is destroyed, pass or fail (raft/testing/process.h; the children also die
// with the test process). Every wait polls with a deadline; nothing sleeps
// blindly and nothing asserts on timing.
//
// Thread safety: not thread-safe, except the RPC helpers (PutJob, GetJob,
// Status, ...), which writer threads may call concurrently.
#ifndef CKRON_TESTS_CLUSTER_AGENT_CLUSTER_H_
#define CKRON_TESTS_CLUSTER_AGENT_CLUSTER_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "fsm/job.h"
#include "raft/testing/process.h"
#include "raft/testing/test_env.h"
#include "rpc/admin_client.h"
#include "rpc/cluster_client.h"

namespace ckron::testing {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// Polls `done` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& done, milliseconds timeout = 30s);

// Runs `argv` to completion; stdout+stderr and exit status.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::vector<std::string>& argv, milliseconds timeout = 30s);

struct AgentSpec {
  bool server = true;
  int bootstrap_expect = 0;
  std::string encrypt;
  std::vector<std::string> extra_args;
};

class AgentCluster {
 public:
  explicit AgentCluster(const std::string& prefix = "ckron-cluster");
  ~AgentCluster();  // kills every agent
  AgentCluster(const AgentCluster&) = delete;
  AgentCluster& operator=(const AgentCluster&) = delete;

  // A new slot named "n<i>" with fresh ports and data directory. Not started.
  int Add(AgentSpec spec);
  int size() const { return static_cast<int>(slots_.size()); }

  // Starts agent i joining `join` (gossip addresses), and waits until its
  // gRPC port answers. Restarting a stopped slot keeps its data directory.
  Status Start(int i, const std::vector<std::string>& join = {});
  // Adds `n` servers with --bootstrap-expect n, starts them all (each
  // retry-joining the first) and waits for one leader and n voters.
  Status StartServers(int n, const std::string& encrypt = "");

  void Kill(int i);  // SIGKILL, reaped
  void Signal(int i, int sig);
  std::optional<int> WaitExit(int i, milliseconds timeout = 30s);  // exit status
  bool Running(int i);

  const std::string& name(int i) const { return slot(i).name; }
  std::string gossip_addr(int i) const;
  std::string rpc_addr(int i) const;
  std::string http_addr(int i) const;  // the REST API (servers)
  std::filesystem::path data_dir(int i) const;
  std::filesystem::path config_path(int i) const;
  std::string Log(int i) const;      // tail of its log file
  std::string FullLog(int i) const;  // all of it, across restarts
  bool LogContains(int i, const std::string& needle) const;
  std::string Describe() const;  // every agent's log tail, for failures

  // --- RPC helpers (any thread) ---
  Result<std::vector<rpc::RaftPeer>> Peers(int i) const;
  Result<rpc::ServerStatus> ServerStatus(int i) const;
  Result<std::vector<rpc::MemberView>> Members(int i) const;
  // Member `who`'s status as agent i sees it ("" if unknown).
  std::string MemberStatus(int i, const std::string& who) const;
  // The running server that says it leads, or -1.
  int Leader() const;
  int WaitForLeader(milliseconds timeout = 30s, int not_this = -1) const;
  // True when agent i's configuration has exactly these voters (by name).
  bool HasVoters(int i, const std::set<std::string>& names) const;

  // Proposes PutJob{name} through agent i's Cluster service (forwarded to
  // the leader). OK only when the job is committed and applied.
  Status PutJob(int i, const std::string& name, milliseconds timeout = 20s) const;
  // The same with a whole job (schedule, executor, tags, ...).
  Status PutJob(int i, const fsm::Job& job, milliseconds timeout = 20s) const;
  Result<fsm::Job> GetJob(int i, const std::string& name) const;
  // Job `name`'s executions as agent i has them applied, oldest first.
  Result<std::vector<fsm::Execution>> Executions(int i, const std::string& name,
                                                 bool with_output = false) const;
  // Every job name agent i has applied.
  Result<std::set<std::string>> JobNames(int i) const;

 private:
  struct Slot {
    std::string name;
    AgentSpec spec;
    int gossip_port = 0, rpc_port = 0, raft_port = 0, http_port = 0;
    raft::testing::Process process;
  };
  const Slot& slot(int i) const { return slots_[static_cast<std::size_t>(i)]; }
  Slot& slot(int i) { return slots_[static_cast<std::size_t>(i)]; }

  raft::testing::TempDir dir_;
  std::vector<Slot> slots_;
  mutable rpc::ClusterClient client_;
};

}  // namespace ckron::testing

#endif  // CKRON_TESTS_CLUSTER_AGENT_CLUSTER_H_
