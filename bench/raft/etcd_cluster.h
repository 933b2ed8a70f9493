// Three (or N) etcd 3.4 members on 127.0.0.1 for the Raft benchmark's peer
// figures: free ports, data directories under a root (same disk as ckron's),
// SIGKILL/restart by PID, leader lookup through the JSON gateway.
//
// Thread safety: not thread-safe; one owner.
#ifndef CKRON_BENCH_RAFT_ETCD_CLUSTER_H_
#define CKRON_BENCH_RAFT_ETCD_CLUSTER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "raft/testing/process.h"

namespace ckron::bench {

class EtcdCluster {
 public:
  EtcdCluster(std::string etcd, std::filesystem::path root);
  ~EtcdCluster();  // kills every member

  // Creates n members and starts them; waits until all report healthy.
  Status Start(int n, std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Restarts member i on its existing data directory.
  Status Restart(int i, std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void Kill(int i);
  int size() const { return static_cast<int>(members_.size()); }
  std::uint16_t client_port(int i) const { return members_[static_cast<std::size_t>(i)].client; }
  bool Running(int i) { return members_[static_cast<std::size_t>(i)].process.Running(); }

  // Index of the member that says it is the leader, or -1.
  int Leader();
  bool Healthy(int i);
  std::string Logs(int i) const;

 private:
  struct Member {
    std::string name;
    std::uint16_t client = 0;
    std::uint16_t peer = 0;
    raft::testing::Process process;
  };
  Status Spawn(int i);

  const std::string etcd_;
  const std::filesystem::path root_;
  std::vector<Member> members_;
};

}  // namespace ckron::bench

#endif  // CKRON_BENCH_RAFT_ETCD_CLUSTER_H_
