// Cluster formation: Dkron's bootstrap-expect (dkron-spec §0, §8; Dkron
// serf.go maybeBootstrap). A server started with `--bootstrap-expect N`
// waits until gossip shows N alive servers of its region that all expect N,
// asks each of them over gRPC (RaftAdmin.ListPeers, like Dkron's
// RaftGetConfiguration probing) whether it already has Raft peers, and, if
// none has, bootstraps Raft once with all of them. If one has, the cluster
// already exists: this server does not bootstrap and waits for the leader's
// reconcile to add it (node/leader_loop.h) -- except when that server's
// configuration is exactly the set this server would bootstrap with (it
// raced ahead with the same gossip view). Then this server bootstraps with
// the same set: libraft (unlike HashiCorp Raft) never votes without a
// configuration, so if the others waited, the early server could never win
// an election and no leader would ever add them. The entry both write at
// index 1 is then the same configuration, which keeps the logs consistent. `--bootstrap-expect 1`
// and the YAML key `bootstrap: true` bootstrap this server alone at once.
//
// A server whose Raft already has a configuration (a restart, or a server
// the leader added) never bootstraps: formation ends at once. (raft::Node::
// Bootstrap would also refuse a used directory; this check does not rely on
// that.)
//
// Thread safety: ClusterFormation runs its own thread; Notify and Stop are
// safe from any thread. PlanBootstrap is pure.
#ifndef CKRON_NODE_FORMATION_H_
#define CKRON_NODE_FORMATION_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "membership/membership.h"
#include "node/server_members.h"
#include "raft/raft.h"

namespace ckron::node {

struct BootstrapDecision {
  enum class Kind {
    kWait,      // not enough servers yet
    kConflict,  // a server disagrees (other expect, or bootstrap mode): never bootstrap with it
    kProbe,     // enough servers: probe them, then bootstrap with `servers`
  };
  Kind kind = Kind::kWait;
  std::string reason;                 // for logs (kWait, kConflict)
  std::vector<ServerMember> servers;  // kProbe: every alive server of the region, by name
};

// `servers`: the server members gossip knows (any status). Counts the alive
// ones of `region` whose expect tag is `expect` and that have a valid
// raft_addr; a different non-zero expect, or a server in bootstrap mode, is
// a conflict (Dkron's rule).
BootstrapDecision PlanBootstrap(const std::string& region, int expect,
                                const std::vector<ServerMember>& servers);

struct FormationOptions {
  std::string node_name;
  std::string raft_address;  // this server's advertised Raft address
  std::string region;
  int expect = 0;          // >= 1
  bool bootstrap = false;  // YAML `bootstrap`: alone, at once (like expect 1)
  // How long to wait between checks when nothing in gossip changed (probes
  // that failed are retried after this). Shorter = a cluster forms sooner
  // after a slow peer starts serving; more probes.
  std::chrono::milliseconds recheck{2000};
  // Deadline of one RaftAdmin.ListPeers probe.
  std::chrono::milliseconds probe_timeout{5000};
};

// Asks the server at rpc_addr for its Raft peers; an empty list means none.
// Asks a server for its Raft configuration (empty: it has none yet).
using PeerProbe = std::function<Result<std::vector<raft::Server>>(const std::string& rpc_addr,
                                                                  std::chrono::milliseconds)>;

class ClusterFormation {
 public:
  // `raft` and `members` must outlive this object. Does not start anything.
  ClusterFormation(FormationOptions options, raft::Node* raft,
                   const membership::Membership* members, PeerProbe probe);
  ~ClusterFormation();  // Stop()

  // Starts the formation thread (REQUIRES: raft is started and this
  // server's gRPC serves RaftAdmin, so that peers can probe it).
  void Start();
  // Gossip changed: check again now. Any thread, never blocks for long.
  void Notify();
  // Ends the thread (a bootstrap in progress completes first). Idempotent.
  void Stop();
  // True once this server is in a Raft configuration (bootstrapped, added,
  // or was already).
  bool done() const;

 private:
  void RunLoop();
  // One attempt; true when formation is over.
  bool Step(std::string* last_log);
  // Waits up to `d` for Notify/Stop; false when stopping.
  bool Wait(std::chrono::milliseconds d);

  const FormationOptions options_;
  raft::Node* const raft_;
  const membership::Membership* const members_;
  const PeerProbe probe_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;      // guarded by mu_
  bool notified_ = false;  // guarded by mu_
  bool done_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_FORMATION_H_
