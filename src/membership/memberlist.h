// SWIM failure detection and dissemination with Lifeguard, speaking
// memberlist 0.2.2's protocol (the layer under Serf). Map of this file and
// memberlist.cc / memberlist_probe.cc:
//   state transitions   AliveNode / SuspectNode / DeadNode / MergeState
//                       (memberlist state.go), refutation of our own
//                       suspicion, dead-node reclaim;
//   probing             round-robin probe, indirect probes through k peers
//                       with nacks, TCP fallback ping, Lifeguard local
//                       health (awareness) scaling the probe interval, and
//                       dynamic suspicion timeouts that shrink with
//                       independent confirmations (Lifeguard §4);
//   dissemination       piggy-backed, transmit-limited broadcasts in compound
//                       packets; periodic push/pull over TCP; join; leave.
//
// ckron additions, both wire-invisible (a Serf peer sees ordinary messages):
//   eager_gossip      new broadcasts go out at once instead of waiting for
//                     the next gossip tick, so news crosses a hop in network
//                     time rather than ~gossip_interval;
//   probe_on_suspect  hearing that a peer suspects X makes us probe X next,
//                     so independent confirmations (which shorten the
//                     suspicion timeout) arrive within one probe timeout.
//
// Thread safety: not thread-safe. Owned by the gossip owner thread (the one
// that drives its Env); all calls and callbacks happen there.
#ifndef CKRON_MEMBERSHIP_MEMBERLIST_H_
#define CKRON_MEMBERSHIP_MEMBERLIST_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "membership/broadcast_queue.h"
#include "membership/env.h"
#include "membership/keyring.h"
#include "membership/wire.h"

namespace ckron::membership {

using namespace std::chrono_literals;

// Timing and protocol settings. Defaults are memberlist's DefaultLANConfig.
struct MemberlistConfig {
  std::string name;   // unique node name
  Address advertise;  // the address peers reach us at

  Nanos tcp_timeout = 10s;        // stream connect+exchange deadline
  int indirect_checks = 3;        // peers asked to probe for us
  int retransmit_mult = 4;        // broadcast sent mult*ceil(log10(n+1)) times
  int suspicion_mult = 4;         // min suspicion = mult*max(1,log10 n)*probe_interval
  int suspicion_max_timeout_mult = 6;  // max suspicion = this * min
  Nanos push_pull_interval = 30s;  // anti-entropy full sync (scaled up past 32 nodes)
  Nanos probe_timeout = 500ms;     // wait for a direct ack before indirect probes
  Nanos probe_interval = 1s;       // one probe per interval
  int awareness_max_multiplier = 8;  // Lifeguard: probe interval backs off up to 8x
  int gossip_nodes = 3;              // fan-out per gossip tick
  Nanos gossip_interval = 200ms;
  Nanos gossip_to_the_dead_time = 30s;  // keep gossiping to the dead this long
  Nanos dead_node_reclaim_time = 0s;    // 0: a dead node's name is never reused by another address
  bool enable_compression = true;       // LZW when it makes a packet smaller
  int udp_buffer_size = 1400;           // bytes per gossip packet
  bool eager_gossip = true;             // see file comment
  bool probe_on_suspect = true;         // see file comment
  std::shared_ptr<const Keyring> keyring = std::make_shared<Keyring>();  // empty: plaintext
  wire::Limits limits;
  // Protocol versions advertised in our alive messages: memberlist's, then
  // the delegate's (Serf's).
  std::uint8_t vsn[6] = {wire::kProtocolMin, wire::kProtocolMax, wire::kProtocolCur, 2, 5, 4};
};

// "lan" (the default), "wan" or "local", as memberlist's Default*Config.
// Errors: kInvalidArgument for any other name (Dkron refuses to start).
Status ApplyProfile(std::string_view profile, MemberlistConfig* config);

enum class NodeStatus : std::uint8_t { kAlive = 0, kSuspect = 1, kDead = 2, kLeft = 3 };

struct NodeState {
  std::string name;
  Address addr;
  std::string meta;
  std::uint32_t incarnation = 0;
  NodeStatus status = NodeStatus::kDead;
  Nanos state_change{0};
  std::uint8_t vsn[6] = {0, 0, 0, 0, 0, 0};
  bool DeadOrLeft() const { return status == NodeStatus::kDead || status == NodeStatus::kLeft; }
};

// What the layer above (Serf) plugs in. Called on the owner thread.
class MemberlistDelegate {
 public:
  virtual ~MemberlistDelegate() = default;
  virtual std::string NodeMeta() = 0;
  virtual void NotifyMsg(std::string_view msg) = 0;
  virtual std::vector<std::string> GetBroadcasts(int overhead, int limit) = 0;
  virtual bool HasFreshBroadcasts() = 0;
  virtual std::string LocalState(bool join) = 0;
  virtual void MergeRemoteState(std::string_view state, bool join) = 0;
  virtual void NotifyJoin(const NodeState& n) = 0;
  virtual void NotifyLeave(const NodeState& n) = 0;
  virtual void NotifyUpdate(const NodeState& n) = 0;
};

// Counters for metrics. Plain integers: read them on the owner thread or
// through Membership::Stats().
struct GossipCounters {
  std::uint64_t packets_received = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t packets_dropped_malformed = 0;  // bad framing, checksum, msgpack
  std::uint64_t packets_dropped_decrypt = 0;    // no key opened it / encryption mismatch
  std::uint64_t packets_dropped_oversize = 0;   // over size or expansion limits
  std::uint64_t streams_rejected = 0;           // bad or refused stream messages
};

class Memberlist final : public Inbox {
 public:
  // REQUIRES: env, delegate and counters outlive this object.
  Memberlist(MemberlistConfig config, Env& env, MemberlistDelegate& delegate,
             GossipCounters& counters);
  ~Memberlist() override;

  // Marks ourselves alive and starts the probe, gossip and push/pull timers.
  void Start();
  // Stops all timers; pending callbacks become no-ops.
  void Stop();

  // Push/pull join with each address. `done(successes, last_error)` runs
  // once, after every attempt finished. Errors for a failed address are the
  // connect/IO error or the peer's refusal (e.g. an encryption mismatch).
  void Join(const std::vector<Address>& addrs, std::function<void(int, Status)> done);
  // Broadcasts our leave (a dead message from ourselves) and calls `done`
  // once it has been sent enough times, or at once if no one is alive to
  // tell. After Leave we refute nothing.
  void Leave(std::function<void()> done);
  // Re-advertises ourselves with fresh meta (tags) under a new incarnation.
  void UpdateNode();
  // Sends a user message (a Serf message) to one address, piggy-backing
  // gossip like every packet.
  void SendToAddress(const Address& to, std::string_view user_msg);
  // Queues a broadcast from the delegate layer: nudges eager gossip.
  void NotifyBroadcastQueued();

  // Inbox.
  void OnPacket(const Address& from, std::string_view bytes) override;
  std::optional<std::string> OnStream(const Address& from, std::string_view frame) override;

  const NodeState* Find(const std::string& name) const;
  const std::vector<std::unique_ptr<NodeState>>& nodes() const { return nodes_; }
  int NumAliveEstimate() const { return static_cast<int>(nodes_.size()); }
  int health_score() const { return awareness_; }
  const MemberlistConfig& config() const { return config_; }
  bool left() const { return left_; }

  // Test hook: checks invariants (node map and list agree; self present
  // once started). CKRON_CHECKs on violation.
  void CheckInvariants() const;

 private:
  struct Suspicion;
  struct Probe;
  struct AckHandler {
    std::function<void(std::string_view payload)> on_ack;
    std::function<void()> on_nack;
    Env::TimerId timer = 0;
  };

  // ---- state transitions (memberlist.cc)
  void AliveNode(const wire::Alive& a, std::function<void()> notify, bool bootstrap);
  void SuspectNode(const wire::Suspect& s);
  void DeadNode(const wire::Dead& d);
  void MergeState(const std::vector<wire::PushNodeState>& remote);
  void Refute(NodeState& me, std::uint32_t accused_inc);
  void OnSuspicionTimeout(const std::string& node, Nanos change_time);
  void Broadcast(const std::string& key, std::string msg, std::function<void()> notify = nullptr);
  Status VerifyProtocol(const std::vector<wire::PushNodeState>& remote) const;
  wire::Alive SelfAlive(std::uint32_t incarnation);

  // ---- messages in (memberlist.cc)
  void HandleLeaf(const Address& from, wire::MsgType type, std::string_view body);
  void HandlePing(const Address& from, std::string_view body);
  void HandleIndirectPing(const Address& from, std::string_view body);
  void HandleAck(std::string_view body);
  void HandleNack(std::string_view body);
  std::string EncodeLocalState(bool join);
  Status MergeRemoteState(std::string_view plain_pushpull);

  // ---- probing, gossip, push/pull (memberlist_probe.cc)
  void ScheduleTickers();
  void ProbeTick();
  void ProbeNode(const std::string& name);
  void ProbeIndirect(const std::shared_ptr<Probe>& p);
  void ProbeDeadline(const std::shared_ptr<Probe>& p);
  void FinishProbe(const std::shared_ptr<Probe>& p, bool ok);
  void ResetNodes();
  void GossipTick();
  void Gossip();
  void ScheduleEagerGossip();
  void PushPullTick();
  void ApplyAwareness(int delta);
  Nanos ScaledProbeInterval() const;
  void SetAckHandler(std::uint32_t seq, AckHandler h, Nanos timeout);
  std::vector<NodeState*> RandomNodes(int k, const std::function<bool(const NodeState&)>& exclude);

  // ---- sending
  void SendMsg(const Address& to, std::string msg, const NodeState* node);
  void SendRaw(const Address& to, std::string msg, const NodeState* node);
  std::vector<std::string> GetBroadcasts(int overhead, int limit);
  std::string SealStream(std::string_view msg) const;
  std::uint32_t NextSeq() { return ++seq_; }
  std::uint32_t NextIncarnation() { return ++incarnation_; }

  MemberlistConfig config_;
  Env& env_;
  MemberlistDelegate& delegate_;
  GossipCounters& counters_;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);  // guards callbacks after Stop

  // Invariant: nodes_ and node_map_ hold the same NodeStates.
  std::vector<std::unique_ptr<NodeState>> nodes_;
  std::map<std::string, NodeState*, std::less<>> node_map_;
  std::map<std::string, std::unique_ptr<Suspicion>, std::less<>> suspicions_;
  std::map<std::uint32_t, AckHandler> ack_handlers_;
  BroadcastQueue broadcasts_;

  std::size_t probe_index_ = 0;
  bool probing_ = false;
  std::string priority_probe_;  // probe_on_suspect: probe this one next
  int awareness_ = 0;           // Lifeguard local health; Invariant: 0 <= awareness_ < max multiplier
  std::uint32_t seq_ = 0;
  std::uint32_t incarnation_ = 0;
  bool left_ = false;
  bool started_ = false;
  bool eager_pending_ = false;
  std::vector<Env::TimerId> tickers_;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_MEMBERLIST_H_
