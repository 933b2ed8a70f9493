// SWIM failure detection and dissemination with Lifeguard, speaking
// memberlist 0.2.2's protocol (the layer under Serf). Map of this file and
// memberlist.cc / memberlist_messages.cc / memberlist_probe.cc:
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
//   stale_answers     a suspect or dead message about X older than what we
//                     know of X (X has refuted it since) is answered with our
//                     current alive message for X, sent back to whoever
//                     gossiped it. A node that missed a refutation keeps
//                     gossiping the stale accusation, so it is exactly the
//                     one that gets the answer — within one gossip exchange
//                     instead of at the next push/pull, long after its
//                     suspicion timer has fired;
//   verify_suspects   every node holding a suspicion of X pings X itself,
//                     accusation attached, at 1/2 and 3/4 of the minimum
//                     suspicion timeout and then at doubling intervals: a
//                     live X answers with its refutation (stale_answers), so
//                     a node that missed the refutation in the gossip learns
//                     it before its own timer fires;
//   join_sync_delay   a node that joined does one more push/pull this long
//                     after: in a join storm it misses what was gossiped
//                     before the others knew it, until the next periodic
//                     push/pull (90 s at 100 nodes, 180 s at 1,000);
//   suspect_probers   a few of the nodes that hear a fresh suspicion of X
//                     probe X at once (about suspect_probers of them, however
//                     large the cluster), so the independent confirmations
//                     that shorten the suspicion timeout arrive within one
//                     probe interval.
//
// Thread safety: not thread-safe. Owned by the gossip owner thread (the one
// that drives its Env); all calls and callbacks happen there.
#ifndef CKRON_MEMBERSHIP_MEMBERLIST_H_
#define CKRON_MEMBERSHIP_MEMBERLIST_H_

#include <cstdint>
#include <functional>
#include <limits>
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

// Timing and protocol settings. Defaults are ckron's `lan` profile:
// memberlist's DefaultLANConfig (MemberlistLanConfig()) except a 500 ms
// probe interval with a 200 ms probe timeout, a suspicion timeout that does
// not grow with log10 n, and the additions in the file comment — tuned so a
// failure reaches 1,000 members in under 5 s without false failures under
// 20 % loss (docs/membership.md "Failure detection timing"). None of it is
// visible on the wire.
struct MemberlistConfig {
  std::string name;   // unique node name
  Address advertise;  // the address peers reach us at

  Nanos tcp_timeout = 10s;  // stream connect+exchange deadline
  int indirect_checks = 3;  // peers asked to probe for us
  int retransmit_mult = 4;  // broadcast sent mult*ceil(log10(n+1)) times
  // Suspicion timeout: min = suspicion_mult * scale * probe_interval, where
  // scale = max(1, log10 n), capped at suspicion_scale_cap when that is > 0;
  // max = suspicion_max_timeout_mult * min. A suspicion waits max, shrinking
  // toward min as suspicion_mult - 2 independent confirmations arrive
  // (Lifeguard). Longer = more time for a live suspect to refute under loss,
  // slower detection of a real failure.
  int suspicion_mult = 4;
  int suspicion_max_timeout_mult = 6;
  Nanos push_pull_interval = 30s;  // anti-entropy full sync (scaled up past 32 nodes)
  // One probe per interval: shorter = a failure is noticed sooner (the first
  // probe of a dead node comes after ~interval/2 on average) and the
  // suspicion timeout shrinks with it, for one ping + ack more per interval.
  // memberlist: 1 s.
  Nanos probe_interval = 500ms;
  // Wait for a direct ack before asking others (indirect pings and a TCP
  // ping share the rest of the interval). memberlist: 500 ms.
  Nanos probe_timeout = 200ms;
  int awareness_max_multiplier = 8;  // Lifeguard: probe interval backs off up to 8x
  int gossip_nodes = 3;              // fan-out per gossip tick
  Nanos gossip_interval = 200ms;
  Nanos gossip_to_the_dead_time = 30s;  // keep gossiping to the dead this long
  Nanos dead_node_reclaim_time = 0s;    // 0: a dead node's name is never reused by another address
  bool enable_compression = true;       // LZW when it makes a packet smaller
  int udp_buffer_size = 1400;           // bytes per gossip packet
  bool eager_gossip = true;             // see file comment
  bool stale_answers = true;            // see file comment
  bool verify_suspects = true;          // see file comment
  Nanos join_sync_delay = 5s;           // see file comment; 0 = off (memberlist)
  int suspect_probers = 6;              // see file comment; 0 = off (memberlist)
  // Caps memberlist's log10 n factor in the suspicion timeout (0 = no cap).
  // That factor buys time for news to cross more gossip rounds in bigger
  // clusters; with eager gossip a round costs network latency, not a
  // gossip interval, so ckron's lan profile does not scale it (1).
  double suspicion_scale_cap = 1;
  std::shared_ptr<const Keyring> keyring = std::make_shared<Keyring>();  // empty: plaintext
  wire::Limits limits;
  // Protocol versions advertised in our alive messages: memberlist's, then
  // the delegate's (Serf's).
  std::uint8_t vsn[6] = {wire::kProtocolMin, wire::kProtocolMax, wire::kProtocolCur, 2, 5, 4};
};

// "lan" (the default), "wan" or "local", as memberlist's Default*Config.
// Errors: kInvalidArgument for any other name (Dkron refuses to start).
Status ApplyProfile(std::string_view profile, MemberlistConfig* config);

// memberlist's DefaultLANConfig exactly — what `serf agent -profile=lan`
// runs — with ckron's additions (eager gossip, suspect probers, the
// suspicion scale cap) off. The benchmarks' peer configuration.
MemberlistConfig MemberlistLanConfig();

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
  // Messages to piggy-back, within `limit` bytes at `overhead` each; only
  // those sent fewer than `sent_below` times so far.
  virtual std::vector<std::string> GetBroadcasts(int overhead, int limit, int sent_below) = 0;
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
  // Test hooks for seeding a converged simulated cluster quickly: merge
  // every node `other` knows, as a push/pull would; forget everything queued
  // for gossip (as if it had all been sent).
  void TEST_MergeFrom(const Memberlist& other);
  void TEST_DropBroadcasts() { broadcasts_.Prune(0); }

 private:
  struct Suspicion;
  struct Probe;
  struct AckHandler {
    std::function<void(std::string_view payload)> on_ack;
    std::function<void()> on_nack;
    Env::TimerId timer = 0;
  };

  // A node's six protocol version bytes as the wire carries them.
  static std::vector<std::uint8_t> VsnVec(const std::uint8_t (&v)[6]) { return {v, v + 6}; }

  // ---- state transitions (memberlist.cc)
  void AliveNode(const wire::Alive& a, std::function<void()> notify, bool bootstrap);
  // `sender` is where a gossiped accusation came from (nullptr when it is
  // our own or came out of a push/pull).
  void SuspectNode(const wire::Suspect& s, const Address* sender = nullptr);
  void DeadNode(const wire::Dead& d, const Address* sender = nullptr);
  void AnswerStaleAccusation(const NodeState& state, const Address& sender);
  void CheckSuspect(const std::string& node, Nanos change_time);
  // Arms the next check of `sus`, `at` after the suspicion started.
  void ScheduleCheck(Suspicion& sus, const std::string& node, Nanos at);
  void DropSuspicion(const std::string& node);  // cancels its timers
  void MergeState(const std::vector<wire::PushNodeState>& remote);
  void Refute(NodeState& me, std::uint32_t accused_inc);
  void OnSuspicionTimeout(const std::string& node, Nanos change_time);
  void Broadcast(const std::string& key, std::string msg, std::function<void()> notify = nullptr);
  Status VerifyProtocol(const std::vector<wire::PushNodeState>& remote) const;
  wire::Alive SelfAlive(std::uint32_t incarnation);

  // ---- messages in (memberlist_messages.cc)
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
  // Sends queued broadcasts to gossip_nodes random nodes; `eager` sends
  // only news (messages not yet sent to that many nodes).
  void Gossip(bool eager = false);
  void ScheduleEagerGossip();
  void PushPullTick();
  void PushPullRandom();  // one push/pull with a random live node
  void ApplyAwareness(int delta);
  Nanos ScaledProbeInterval() const;
  void SetAckHandler(std::uint32_t seq, AckHandler h, Nanos timeout);
  // Up to k distinct random nodes for which exclude(node) is false.
  // Defined in memberlist_probe.cc, its only user (hot: every gossip tick).
  template <typename Exclude>
  std::vector<NodeState*> RandomNodes(int k, const Exclude& exclude);

  // ---- sending (memberlist_messages.cc)
  void SendMsg(const Address& to, std::string msg, const NodeState* node);
  void SendRaw(const Address& to, std::string msg, const NodeState* node);
  std::vector<std::string> GetBroadcasts(int overhead, int limit,
                                         int sent_below = std::numeric_limits<int>::max());
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
  std::string priority_probe_;  // suspect_probers: probe this one next
  int awareness_ = 0;  // Lifeguard local health; Invariant: 0 <= awareness_ < max multiplier
  std::uint32_t seq_ = 0;
  std::uint32_t incarnation_ = 0;
  bool left_ = false;
  bool started_ = false;
  bool eager_pending_ = false;
  std::vector<Env::TimerId> tickers_;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_MEMBERLIST_H_
