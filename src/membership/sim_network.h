// A deterministic simulated network and clock for running many gossip nodes
// in one thread: virtual time, seeded randomness, per-packet latency and
// loss, nodes that can be stopped (a crash: packets vanish, streams are
// refused). Used by the simulation tests and the convergence benchmark.
//
// Thread safety: not thread-safe; one thread drives everything.
#ifndef CKRON_MEMBERSHIP_SIM_NETWORK_H_
#define CKRON_MEMBERSHIP_SIM_NETWORK_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <unordered_set>
#include <vector>

#include "membership/env.h"

namespace ckron::membership {

struct SimOptions {
  std::uint64_t seed = 1;
  double loss = 0.0;          // probability a datagram or a TCP segment is dropped
  Nanos min_latency = 200us;  // one-way latency, uniform in [min, max]
  Nanos max_latency = 2ms;
};

class SimNetwork {
 public:
  explicit SimNetwork(SimOptions options);
  ~SimNetwork();

  // An Env bound to `addr`; deliveries to `addr` go to `inbox` (set later
  // with Attach, since the node needs its Env first).
  Env& AddNode(const Address& addr);
  void Attach(const Address& addr, Inbox* inbox);
  // A crashed node receives nothing and its timers stop firing.
  void Crash(const Address& addr);
  // While `on`, nothing sent to `addr` arrives (a one-way partition: it
  // still sends, and its timers run). Connects to it time out.
  void BlockInbound(const Address& addr, bool on);

  // Runs events until virtual time `until` (absolute, since start).
  void RunUntil(Nanos until);
  Nanos now() const { return now_; }
  void set_loss(double loss) { options_.loss = loss; }

  std::uint64_t bytes_sent(const Address& a) const;
  std::uint64_t total_bytes() const { return total_bytes_; }  // datagrams + streams
  std::uint64_t stream_bytes() const { return stream_bytes_; }

 private:
  class NodeEnv;
  friend class NodeEnv;
  struct Event {
    Nanos at;
    std::uint64_t seq;
    std::uint64_t timer_id;  // 0 for network deliveries
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  void Schedule(Nanos at, std::uint64_t timer_id, std::function<void()> fn);
  Nanos Latency();
  bool Lost();
  // One TCP segment's delivery delay: latency plus a retransmission timeout
  // (starting at `rto`, doubling) for each time it is lost.
  Nanos SegmentDelay(Nanos rto);
  bool Up(const Address& a) const;

  SimOptions options_;
  std::mt19937_64 rng_;
  Nanos now_{0};
  std::uint64_t seq_ = 0;
  std::uint64_t next_timer_ = 0;
  std::uint64_t total_bytes_ = 0;
  std::uint64_t stream_bytes_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::unordered_set<std::uint64_t> pending_timers_;  // scheduled, neither fired nor cancelled
  std::map<Address, std::unique_ptr<NodeEnv>> nodes_;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_SIM_NETWORK_H_
