// N Serf nodes on one SimNetwork: the fixture of the simulation tests and of
// the convergence benchmark. Node i listens on 10.0.x.y:7946.
//
// Thread safety: not thread-safe.
#ifndef CKRON_MEMBERSHIP_SIM_CLUSTER_H_
#define CKRON_MEMBERSHIP_SIM_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "membership/serf.h"
#include "membership/sim_network.h"

namespace ckron::membership {

class SimCluster {
 public:
  SimCluster(SimOptions net, MemberlistConfig base) : net_(net), base_(std::move(base)) {}

  static Address AddrOf(int i) {
    return Address{std::string{10, 0, static_cast<char>(i / 250), static_cast<char>(1 + i % 250)},
                   7946};
  }
  static std::string NameOf(int i) { return "n" + std::to_string(i); }

  // Adds and starts node i; `on_event` sees its Serf events.
  Serf& Add(int i, Serf::EventFn on_event = nullptr) {
    const Address addr = AddrOf(i);
    Env& env = net_.AddNode(addr);
    MemberlistConfig ml = base_;
    ml.advertise = addr;
    SerfConfig sc;
    sc.node_name = NameOf(i);
    sc.tags = {{"role", "dkron"}, {"id", std::to_string(i)}};
    counters_.push_back(std::make_unique<GossipCounters>());
    nodes_.push_back(std::make_unique<Serf>(sc, ml, env, *counters_.back(), std::move(on_event)));
    net_.Attach(addr, &nodes_.back()->memberlist());
    nodes_.back()->Start();
    return *nodes_.back();
  }

  // Seeds a converged, quiet cluster of nodes [0, n) that were Add()ed but
  // never joined: every node learns every other through the push/pull merge
  // path, then all gossip queues are dropped. What a long-settled cluster
  // looks like, without simulating the O(n^2) join storm that builds it.
  void SeedConverged(int n) {
    for (int i = 1; i < n; ++i) node(0).memberlist().TEST_MergeFrom(node(i).memberlist());
    for (int i = 1; i < n; ++i) node(i).memberlist().TEST_MergeFrom(node(0).memberlist());
    for (int i = 0; i < n; ++i) node(i).TEST_DropBroadcasts();
  }

  Serf& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
  std::size_t size() const { return nodes_.size(); }
  SimNetwork& net() { return net_; }
  void RunFor(Nanos d) { net_.RunUntil(net_.now() + d); }

  // The status node `viewer` has for node `subject` (kNone if unknown).
  MemberStatus StatusOf(int viewer, int subject) {
    for (const auto& m : node(viewer).Members()) {
      if (m.name == NameOf(subject)) return m.status;
    }
    return MemberStatus::kNone;
  }

 private:
  SimNetwork net_;
  MemberlistConfig base_;
  std::vector<std::unique_ptr<GossipCounters>> counters_;
  std::vector<std::unique_ptr<Serf>> nodes_;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_SIM_CLUSTER_H_
