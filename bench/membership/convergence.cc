// Simulated gossip convergence (bench/membership/run.sh): N members (default
// 1,000) on the deterministic SimNetwork — virtual clock, seeded latency and
// loss, the production Memberlist + Serf code. Two configurations run the
// same scenarios from the same seed:
//   ckron  the `lan` profile as ckron ships it;
//   peer   memberlist's DefaultLANConfig (what `serf agent -profile=lan`
//          runs), with ckron's wire-invisible additions switched off.
// Scenarios, on a converged quiet cluster (SimCluster::SeedConverged):
//   bandwidth  bytes sent per node per second: datagrams (probes, gossip)
//              over 30 s, plus the streams of one push/pull per node spread
//              over the push/pull period (every node's first push/pull falls
//              in the first 30 s; the next comes one period later);
//   join       a new member joins through one node: time until 99.99 % of
//              members have delivered its member-join;
//   failure    one member crashes: time until 99.99 % of the survivors have
//              delivered member-failed, with the first suspicion and the
//              first declaration of death (where the time goes);
//   loss       a smaller cluster under 20 % loss on every datagram and TCP
//              segment: member-failed events about live members (false
//              positives), then the time to detect a real crash.
// Prints one JSON object per line; progress and wall times go to stderr.
// Serf's own convergence model (serf.io "Gossip Protocol" page, 1,000 nodes,
// lan) gives 2.2 s for 99.99 % — the join peer figure.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "common/log.h"
#include "membership/sim_cluster.h"

using namespace ckron::membership;

namespace {

double Seconds(Nanos d) {
  return std::chrono::duration<double>(d).count();
}

// The time by which a fraction q of `population` had seen something; +inf
// when too few ever did.
double Quantile(std::vector<double> v, double q, std::size_t population) {
  std::sort(v.begin(), v.end());
  const auto need = static_cast<std::size_t>(std::ceil(q * static_cast<double>(population) - 1e-9));
  if (need == 0) return 0;
  if (v.size() < need) return INFINITY;
  return v[need - 1];
}

struct Figures {               // one crash
  double fail_s = 0;           // crash -> 99.99 % of survivors delivered member-failed
  double first_suspect_s = 0;  // crash -> first node suspects the victim
  double first_dead_s = 0;     // crash -> first node declares it dead
};

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Results {
  double bytes_per_node_s = 0;
  double join_s = 0;
  std::vector<Figures> failures;  // one per crash, in turn
  double Fail(bool worst) const {
    std::vector<double> v;
    for (const auto& f : failures) v.push_back(f.fail_s);
    return worst ? (v.empty() ? NAN : *std::max_element(v.begin(), v.end())) : Median(v);
  }
  double FirstSuspect() const {
    std::vector<double> v;
    for (const auto& f : failures) v.push_back(f.first_suspect_s);
    return Median(v);
  }
  double FirstDead() const {
    std::vector<double> v;
    for (const auto& f : failures) v.push_back(f.first_dead_s);
    return Median(v);
  }
  int false_failures = -1;  // loss scenario: member-failed about live members
  double loss_fail_s = 0;   // loss scenario: crash -> every survivor knows
};

struct Args {
  int members = 1000;
  std::uint64_t seed = 1;
  int loss_members = 100;
  int loss_seconds = 120;
  double loss = 0.2;
  int failures = 5;
  bool peer = true;
};

class Wall {  // wall-clock progress on stderr
 public:
  void Mark(const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "  %-28s %6.1f s wall\n", what.c_str(),
                 std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// memberlist util.go pushPullScale: the push/pull period at n members.
Nanos PushPullPeriod(const MemberlistConfig& cfg, int n) {
  if (n <= 32) return cfg.push_pull_interval;
  const double mult = std::ceil(std::log2(static_cast<double>(n)) - std::log2(32.0)) + 1.0;
  return Nanos(
      static_cast<std::int64_t>(mult * static_cast<double>(cfg.push_pull_interval.count())));
}

// Runs the crash of `victim` until every live node other than it has
// delivered member-failed (or `limit` passes); fills the failure figures.
void MeasureFailure(SimCluster& c, const std::vector<bool>& live, int victim,
                    std::vector<double>& failed_at, Nanos limit, Figures* f, bool breakdown) {
  const std::string name = SimCluster::NameOf(victim);
  const Nanos t0 = c.net().now();
  c.net().Crash(SimCluster::AddrOf(victim));
  std::size_t survivors = 0;
  for (std::size_t i = 0; i < live.size(); ++i)
    survivors += live[i] && static_cast<int>(i) != victim;
  f->first_suspect_s = f->first_dead_s = INFINITY;
  const Nanos step = 10ms;
  while (c.net().now() - t0 < limit && failed_at.size() < survivors) {
    c.RunFor(step);
    if (!breakdown || !std::isinf(f->first_dead_s)) continue;
    for (std::size_t i = 0; i < live.size(); ++i) {
      if (!live[i] || static_cast<int>(i) == victim) continue;
      const NodeState* s = c.node(static_cast<int>(i)).memberlist().Find(name);
      if (s == nullptr) continue;
      const double t = Seconds(c.net().now() - t0);
      if (s->status == NodeStatus::kSuspect) f->first_suspect_s = std::min(f->first_suspect_s, t);
      if (s->DeadOrLeft()) {
        f->first_suspect_s = std::min(f->first_suspect_s, t);
        f->first_dead_s = std::min(f->first_dead_s, t);
      }
    }
  }
  f->fail_s = Quantile(failed_at, 0.9999, survivors);
}

Results Run(const MemberlistConfig& cfg, const Args& a) {
  Results r;
  Wall wall;
  const int n = a.members;
  // --- a converged cluster of n, then bandwidth, join, failures.
  {
    SimCluster c(SimOptions{.seed = a.seed}, cfg);
    const std::uint64_t b0 = c.net().total_bytes(), s0 = c.net().stream_bytes();
    const std::string joiner = SimCluster::NameOf(n);
    std::string victim;
    Nanos t_join{-1}, t_fail{-1};
    std::vector<double> join_seen, fail_seen;
    auto on_event = [&](const SerfEvent& e) {
      if (e.members.empty()) return;
      const std::string& who = e.members[0].name;
      if (e.type == SerfEvent::Type::kMemberJoin && who == joiner && t_join.count() >= 0) {
        join_seen.push_back(Seconds(c.net().now() - t_join));
      }
      if (e.type == SerfEvent::Type::kMemberFailed && who == victim && t_fail.count() >= 0) {
        fail_seen.push_back(Seconds(c.net().now() - t_fail));
      }
    };
    for (int i = 0; i < n; ++i) c.Add(i, on_event);
    c.SeedConverged(n);
    wall.Mark("seed " + std::to_string(n));

    // Timers start at Add(): the first push/pull of every node falls in
    // [0, push_pull_interval).
    c.RunFor(cfg.push_pull_interval);
    const double streams = static_cast<double>(c.net().stream_bytes() - s0);
    const double datagrams = static_cast<double>(c.net().total_bytes() - b0) - streams;
    r.bytes_per_node_s = datagrams / n / Seconds(cfg.push_pull_interval) +
                         streams / n / Seconds(PushPullPeriod(cfg, n));
    wall.Mark("bandwidth");

    t_join = c.net().now();
    c.Add(n, on_event).Join({SimCluster::AddrOf(0)}, nullptr);
    c.RunFor(15s);
    // Everyone but the joiner itself, which delivers its own join too.
    r.join_s = Quantile(join_seen, 0.9999, static_cast<std::size_t>(n) + 1);
    wall.Mark("join");

    // Crashes in turn, each once the previous one is known everywhere: one
    // failure's time depends on when someone happens to probe the victim,
    // so one sample says little.
    std::vector<bool> live(static_cast<std::size_t>(n) + 1, true);
    for (int k = 0; k < a.failures; ++k) {
      const int v = 1 + (n / 2 + 97 * k) % (n - 1);
      victim = SimCluster::NameOf(v);
      fail_seen.clear();
      t_fail = c.net().now();
      Figures f;
      MeasureFailure(c, live, v, fail_seen, 90s, &f, true);
      live[static_cast<std::size_t>(v)] = false;
      r.failures.push_back(f);
      c.RunFor(2s);
    }
    wall.Mark(std::to_string(a.failures) + " failures");
  }
  // --- the loss scenario on a smaller cluster.
  if (a.loss_seconds > 0 && a.loss_members > 2) {
    const int m = a.loss_members;
    SimCluster c(SimOptions{.seed = a.seed + 1}, cfg);
    std::vector<bool> live(static_cast<std::size_t>(m), true);
    std::vector<double> failed_at;
    int false_failures = 0;
    const int victim = m - 1;
    Nanos t_fail{-1};
    auto on_event = [&](const SerfEvent& e) {
      if (e.type != SerfEvent::Type::kMemberFailed || e.members.empty()) return;
      const std::string& who = e.members[0].name;
      if (t_fail.count() >= 0 && who == SimCluster::NameOf(victim)) {
        failed_at.push_back(Seconds(c.net().now() - t_fail));
      } else {
        ++false_failures;
      }
    };
    for (int i = 0; i < m; ++i) c.Add(i, on_event);
    c.SeedConverged(m);
    c.RunFor(5s);
    c.net().set_loss(a.loss);
    c.RunFor(std::chrono::seconds(a.loss_seconds));
    t_fail = c.net().now();
    Figures g;
    MeasureFailure(c, live, victim, failed_at, 120s, &g, false);
    r.loss_fail_s = g.fail_s;
    r.false_failures = false_failures;  // also counts any during detection
    wall.Mark("loss " + std::to_string(m) + " members");
  }
  return r;
}

void Print(const std::string& metric, double value, const char* unit, const std::string& peer,
           double peer_value) {
  auto num = [](double v) {
    char buf[32];
    if (!std::isfinite(v)) return std::string("null");  // never reached, or not run
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return std::string(buf);
  };
  std::printf(
      "{\"bench\":\"membership\",\"metric\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"peer\":\"%s\","
      "\"peer_value\":%s}\n",
      metric.c_str(), num(value).c_str(), unit, peer.c_str(), num(peer_value).c_str());
  std::fflush(stdout);
}

// Overrides for experiments: --probe-interval-ms 500 etc.
void Override(MemberlistConfig* c, const std::string& k, const char* v) {
  const auto ms = [&] { return Nanos(std::chrono::milliseconds(std::atoll(v))); };
  if (k == "--probe-interval-ms")
    c->probe_interval = ms();
  else if (k == "--probe-timeout-ms")
    c->probe_timeout = ms();
  else if (k == "--gossip-interval-ms")
    c->gossip_interval = ms();
  else if (k == "--suspicion-mult")
    c->suspicion_mult = std::atoi(v);
  else if (k == "--suspicion-max-mult")
    c->suspicion_max_timeout_mult = std::atoi(v);
  else if (k == "--suspicion-scale-cap")
    c->suspicion_scale_cap = std::atof(v);
  else if (k == "--suspect-probers")
    c->suspect_probers = std::atoi(v);
  else if (k == "--eager-gossip")
    c->eager_gossip = std::atoi(v) != 0;
  else if (k == "--retransmit-mult")
    c->retransmit_mult = std::atoi(v);
  else if (k == "--gossip-nodes")
    c->gossip_nodes = std::atoi(v);
  else
    std::fprintf(stderr, "unknown flag %s\n", k.c_str()), std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  MemberlistConfig ckron;
  (void)ApplyProfile("lan", &ckron);
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--members")
      a.members = std::atoi(argv[i + 1]);
    else if (k == "--seed")
      a.seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--loss-members")
      a.loss_members = std::atoi(argv[i + 1]);
    else if (k == "--loss-seconds")
      a.loss_seconds = std::atoi(argv[i + 1]);
    else if (k == "--loss")
      a.loss = std::atof(argv[i + 1]);
    else if (k == "--peer")
      a.peer = std::atoi(argv[i + 1]) != 0;
    else if (k == "--failures")
      a.failures = std::max(1, std::atoi(argv[i + 1]));
    else
      Override(&ckron, k, argv[i + 1]);
  }
  ckron::logging::SetLevel(spdlog::level::off);
  const int n = a.members, m = a.loss_members;
  const std::string sn = std::to_string(n) + "_members_sim";

  std::fprintf(stderr, "ckron lan profile, %d members, seed %llu\n", n,
               static_cast<unsigned long long>(a.seed));
  const Results ck = Run(ckron, a);
  Results peer;
  const std::string peer_name = "memberlist lan timings, same simulation";
  if (a.peer) {
    std::fprintf(stderr, "peer: memberlist DefaultLANConfig\n");
    peer = Run(MemberlistLanConfig(), a);
  }
  auto pv = [&](double v) { return a.peer ? v : NAN; };
  const std::string sf = std::to_string(a.failures) + "_crashes";
  Print("join_converge_99.99pct_" + sn, ck.join_s, "s", "serf convergence model", 2.2);
  Print("join_converge_99.99pct_" + sn + "_vs_same_harness", ck.join_s, "s", peer_name,
        pv(peer.join_s));
  Print("failure_converge_99.99pct_" + sn + "_median_of_" + sf, ck.Fail(false), "s", peer_name,
        pv(peer.Fail(false)));
  Print("failure_converge_99.99pct_" + sn + "_worst_of_" + sf, ck.Fail(true), "s", peer_name,
        pv(peer.Fail(true)));
  Print("failure_first_suspicion_" + sn + "_median", ck.FirstSuspect(), "s", peer_name,
        pv(peer.FirstSuspect()));
  Print("failure_first_declared_dead_" + sn + "_median", ck.FirstDead(), "s", peer_name,
        pv(peer.FirstDead()));
  Print("gossip_bytes_per_node_per_s_" + sn, ck.bytes_per_node_s, "B/s", peer_name,
        pv(peer.bytes_per_node_s));
  if (a.loss_seconds > 0) {
    const std::string sl = std::to_string(static_cast<int>(a.loss * 100)) + "pct_loss_" +
                           std::to_string(a.loss_seconds) + "s_" + std::to_string(m) +
                           "_members_sim";
    Print("false_failures_" + sl, ck.false_failures, "events", peer_name, pv(peer.false_failures));
    Print("failure_converge_all_after_" + sl, ck.loss_fail_s, "s", peer_name, pv(peer.loss_fail_s));
  }
  return 0;
}
