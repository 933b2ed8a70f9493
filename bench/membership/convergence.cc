// Simulated gossip convergence: N members (default 1,000) on a seeded lossy
// network with a virtual clock. Prints JSON lines: time until 99.99 % of
// members know of a join and of a failure, and gossip bytes per node per
// second. Serf's convergence model (serf.io "Gossip Protocol" simulator,
// 1,000 nodes, lan) gives 2.2 s for 99.99 %.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/log.h"
#include "membership/sim_cluster.h"

using namespace ckron::membership;

namespace {
double Quantile(std::vector<double> v, double q, std::size_t population) {
  // Time by which q of the population knew; members that never learned count as +inf.
  std::sort(v.begin(), v.end());
  const auto need = static_cast<std::size_t>(std::ceil(q * static_cast<double>(population)));
  if (need == 0) return 0;
  if (v.size() < need) return INFINITY;
  return v[need - 1];
}
}  // namespace

int main(int argc, char** argv) {
  int n = 1000;
  std::uint64_t seed = 1;
  double loss = 0.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--members") n = std::atoi(argv[i + 1]);
    if (k == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (k == "--loss") loss = std::atof(argv[i + 1]);
  }
  ckron::logging::SetLevel(spdlog::level::off);
  SimCluster c(SimOptions{.seed = seed, .loss = loss}, MemberlistConfig{});
  const std::string joiner = SimCluster::NameOf(n), victim = SimCluster::NameOf(n / 2);
  std::vector<double> join_seen, fail_seen;
  Nanos t_join{0}, t_fail{0};
  auto on_event = [&](const SerfEvent& e) {
    if (e.members.empty()) return;
    const double t = std::chrono::duration<double>(c.net().now()).count();
    if (e.type == SerfEvent::Type::kMemberJoin && e.members[0].name == joiner && t_join.count() > 0) {
      join_seen.push_back(t - std::chrono::duration<double>(t_join).count());
    }
    if (e.type == SerfEvent::Type::kMemberFailed && e.members[0].name == victim && t_fail.count() > 0) {
      fail_seen.push_back(t - std::chrono::duration<double>(t_fail).count());
    }
  };
  for (int i = 0; i < n; ++i) c.Add(i, on_event);
  for (int i = 1; i < n; ++i) {
    c.node(i).Join({SimCluster::AddrOf(i % 10 == 0 ? 0 : (i / 10) * 10)}, nullptr);
    if (i % 50 == 0) c.RunFor(100ms);
  }
  c.RunFor(60s);  // settle: every member known everywhere

  // Bandwidth in steady state.
  const std::uint64_t b0 = c.net().total_bytes();
  c.RunFor(10s);
  const double bytes_per_node_s = static_cast<double>(c.net().total_bytes() - b0) / n / 10.0;

  // A join: the new member pushes/pulls with one node, then gossip spreads it.
  t_join = c.net().now();
  c.Add(n, on_event).Join({SimCluster::AddrOf(0)}, nullptr);
  c.RunFor(30s);
  const double join_s = Quantile(join_seen, 0.9999, static_cast<std::size_t>(n));

  // A failure: crash one member; time until survivors mark it failed.
  t_fail = c.net().now();
  c.net().Crash(SimCluster::AddrOf(n / 2));
  c.RunFor(60s);
  const double fail_s = Quantile(fail_seen, 0.9999, static_cast<std::size_t>(n));

  std::printf("{\"bench\": \"membership_sim\", \"metric\": \"join_converge_99.99pct_%d_members\", \"value\": %.3f, \"unit\": \"s\", \"peer\": \"serf-model\", \"peer_value\": 2.2}\n", n, join_s);
  std::printf("{\"bench\": \"membership_sim\", \"metric\": \"failure_converge_99.99pct_%d_members\", \"value\": %.3f, \"unit\": \"s\"}\n", n, fail_s);
  std::printf("{\"bench\": \"membership_sim\", \"metric\": \"gossip_bytes_per_node_per_s_%d_members\", \"value\": %.0f, \"unit\": \"B/s\"}\n", n, bytes_per_node_s);
  return 0;
}
