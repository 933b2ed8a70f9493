// N ckron_raft_driver processes on 127.0.0.1 for multi-process tests and the
// benchmark: free ports, one data directory each under a root, spawning,
// SIGKILL/SIGTERM by PID, status queries and leader-following writes. Every
// process is killed and reaped when the cluster is destroyed, pass or fail.
//
// Thread safety: not thread-safe; one owner (writer threads make their own
// LineClients to client_port(i)).
#ifndef CKRON_RAFT_TESTING_DRIVER_CLUSTER_H_
#define CKRON_RAFT_TESTING_DRIVER_CLUSTER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "raft/testing/line_client.h"
#include "raft/testing/process.h"

namespace ckron::raft::testing {

// A parsed STATUS reply.
struct DriverStatus {
  std::string state;  // "leader", "follower", ...
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;
  std::string leader_address;  // "" if none
  std::uint64_t last_index = 0, commit_index = 0, last_applied = 0, snapshot_index = 0;
  std::uint64_t keys = 0, order_violations = 0, restores = 0;
};

Result<DriverStatus> ParseDriverStatus(const std::string& line);

struct ClusterOptions {
  std::string driver;          // path of the ckron_raft_driver binary
  std::filesystem::path root;  // data directories and logs go here
  int multiplier = 1;
  std::uint32_t snapshot_threshold = 8192;
  std::uint32_t snapshot_trailing = 4096;
  std::vector<std::string> extra_args;  // appended to every driver's argv
};

class DriverCluster {
 public:
  explicit DriverCluster(ClusterOptions options);
  ~DriverCluster();  // kills every process
  DriverCluster(const DriverCluster&) = delete;
  DriverCluster& operator=(const DriverCluster&) = delete;

  // A new node slot: name "n<i>", fresh raft and client ports, its own data
  // directory. Returns its index. Does not start it.
  int AddSlot();
  int size() const { return static_cast<int>(nodes_.size()); }

  // Starts node i, bootstrapping with the given members (empty: none, the
  // node waits to be added), and waits until its client port answers.
  Status Start(int i, const std::vector<int>& bootstrap_members,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // AddSlot() n times and starts all of them bootstrapped together.
  Status StartCluster(int n);

  void Kill(int i);       // SIGKILL, reaped
  bool Terminate(int i);  // SIGTERM (clean stop), SIGKILL after 10 s
  bool Running(int i);

  // One request to node i over a cached connection (reconnects as needed).
  Result<std::string> Call(int i, const std::string& line,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Result<DriverStatus> NodeStatus(int i);

  // A running node that says it leads (the highest term wins), or -1.
  int Leader();
  // Polls until some running node other than `not_this` leads; -1 on timeout.
  int WaitForLeader(std::chrono::milliseconds timeout, int not_this = -1);
  // The node index whose raft address is `address`, or -1.
  int IndexOfRaftAddress(const std::string& address) const;

  // PUT through whichever node leads, following not_leader hints and
  // retrying until acknowledged or `timeout`. Returns the OK reply.
  Result<std::string> Put(const std::string& key, const std::string& value,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));

  const std::string& name(int i) const { return nodes_[static_cast<std::size_t>(i)].name; }
  std::string raft_address(int i) const;
  std::uint16_t client_port(int i) const { return nodes_[static_cast<std::size_t>(i)].client_port; }
  std::filesystem::path data_dir(int i) const;
  std::filesystem::path log_path(int i) const;
  Process& process(int i) { return nodes_[static_cast<std::size_t>(i)].process; }

  // Every node's status and log tail, for assertion messages.
  std::string Describe();

 private:
  struct Slot {
    std::string name;
    std::uint16_t raft_port = 0;
    std::uint16_t client_port = 0;
    Process process;
    LineClient client;
  };
  const ClusterOptions options_;
  std::vector<Slot> nodes_;
};

}  // namespace ckron::raft::testing

#endif  // CKRON_RAFT_TESTING_DRIVER_CLUSTER_H_
