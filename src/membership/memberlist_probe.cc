// Probing, gossip, push/pull, join and leave; see memberlist.h for the map.
#include <algorithm>
#include <cmath>

#include "common/log.h"
#include "membership/memberlist.h"

namespace ckron::membership {

namespace {
std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("gossip");
}
}  // namespace

struct Memberlist::Probe {
  std::string node;
  std::uint32_t seq = 0;
  bool done = false;
  int expected_nacks = 0;
  int nacks = 0;
  Nanos deadline{0};
  Env::TimerId timeout_timer = 0;
  Env::TimerId deadline_timer = 0;
};

void Memberlist::ScheduleTickers() {
  std::weak_ptr<bool> tok = alive_token_;
  // Random stagger so nodes started together don't tick in lock step.
  auto stagger = [&](Nanos interval) {
    return Nanos(
        static_cast<std::int64_t>(RandomBelow(env_, static_cast<std::uint64_t>(interval.count()))));
  };
  if (config_.probe_interval > 0s) {
    tickers_.push_back(env_.After(stagger(config_.probe_interval), [this, tok] {
      if (!tok.expired()) ProbeTick();
    }));
  }
  if (config_.gossip_interval > 0s && config_.gossip_nodes > 0) {
    tickers_.push_back(env_.After(stagger(config_.gossip_interval), [this, tok] {
      if (!tok.expired()) GossipTick();
    }));
  }
  if (config_.push_pull_interval > 0s) {
    tickers_.push_back(env_.After(stagger(config_.push_pull_interval), [this, tok] {
      if (!tok.expired()) PushPullTick();
    }));
  }
}

void Memberlist::ApplyAwareness(int delta) {
  const int max = std::max(1, config_.awareness_max_multiplier);
  awareness_ = std::clamp(awareness_ + delta, 0, max - 1);
}

// Lifeguard local health: a node that misses acks (maybe because it is the
// slow one) probes less often and waits longer before blaming others.
Nanos Memberlist::ScaledProbeInterval() const {
  return config_.probe_interval * (awareness_ + 1);
}

void Memberlist::SetAckHandler(std::uint32_t seq, AckHandler h, Nanos timeout) {
  std::weak_ptr<bool> tok = alive_token_;
  h.timer = env_.After(timeout, [this, tok, seq] {
    if (!tok.expired()) ack_handlers_.erase(seq);
  });
  ack_handlers_[seq] = std::move(h);
}

template <typename Exclude>
std::vector<NodeState*> Memberlist::RandomNodes(int k, const Exclude& exclude) {
  std::vector<NodeState*> out;
  const std::size_t n = nodes_.size();
  for (std::size_t i = 0; i < 3 * n && static_cast<int>(out.size()) < k; ++i) {
    NodeState* node = nodes_[static_cast<std::size_t>(RandomBelow(env_, n))].get();
    if (exclude(*node)) continue;
    if (std::find(out.begin(), out.end(), node) != out.end()) continue;
    out.push_back(node);
  }
  return out;
}

// memberlist state.go resetNodes: forget nodes dead for longer than
// gossip_to_the_dead_time, then reshuffle the probe order.
void Memberlist::ResetNodes() {
  const Nanos now = env_.Now();
  std::vector<std::unique_ptr<NodeState>> keep;
  for (auto& n : nodes_) {
    if (n->DeadOrLeft() && now - n->state_change > config_.gossip_to_the_dead_time &&
        n->name != config_.name) {
      node_map_.erase(n->name);
      continue;
    }
    keep.push_back(std::move(n));
  }
  nodes_ = std::move(keep);
  for (std::size_t i = nodes_.size(); i > 1; --i) {
    std::swap(nodes_[i - 1], nodes_[static_cast<std::size_t>(RandomBelow(env_, i))]);
  }
}

void Memberlist::ProbeTick() {
  std::weak_ptr<bool> tok = alive_token_;
  tickers_.push_back(env_.After(config_.probe_interval, [this, tok] {
    if (!tok.expired()) ProbeTick();
  }));
  if (probing_) return;  // Go's ticker drops ticks while a probe runs
  if (!priority_probe_.empty()) {
    std::string target;
    std::swap(target, priority_probe_);
    const NodeState* n = Find(target);
    if (n != nullptr && !n->DeadOrLeft() && n->name != config_.name) return ProbeNode(target);
  }
  for (std::size_t checked = 0; checked <= nodes_.size(); ++checked) {
    if (probe_index_ >= nodes_.size()) {
      ResetNodes();
      probe_index_ = 0;
      if (nodes_.empty()) return;
    }
    const NodeState& n = *nodes_[probe_index_++];
    if (n.name == config_.name || n.DeadOrLeft()) continue;
    return ProbeNode(n.name);
  }
}

// memberlist state.go probeNode, as a chain of callbacks: direct ping; after
// probe_timeout, indirect pings through k peers plus a TCP ping; at the
// (health-scaled) deadline, suspect the node unless someone acked.
void Memberlist::ProbeNode(const std::string& name) {
  const NodeState* node = Find(name);
  if (node == nullptr) return;
  probing_ = true;
  auto p = std::make_shared<Probe>();
  p->node = name;
  p->seq = NextSeq();
  p->deadline = env_.Now() + ScaledProbeInterval();
  wire::Ping ping{.seq_no = p->seq,
                  .node = name,
                  .source_addr = config_.advertise.ip,
                  .source_port = config_.advertise.port,
                  .source_node = config_.name};
  AckHandler h;
  std::weak_ptr<Probe> wp = p;
  h.on_ack = [this, wp](std::string_view) {
    if (auto sp = wp.lock()) FinishProbe(sp, true);
  };
  h.on_nack = [wp] {
    if (auto sp = wp.lock()) ++sp->nacks;
  };
  SetAckHandler(p->seq, std::move(h), ScaledProbeInterval());
  if (node->status == NodeStatus::kAlive) {
    SendMsg(node->addr, wire::Encode(ping), node);
  } else {
    // A suspect gets the accusation with the ping, so it can refute.
    SendRaw(node->addr,
            wire::MakeCompound(
                {wire::Encode(ping),
                 wire::Encode(wire::Suspect{
                     .incarnation = node->incarnation, .node = name, .from = config_.name})}),
            node);
  }
  std::weak_ptr<bool> tok = alive_token_;
  p->timeout_timer = env_.After(config_.probe_timeout, [this, tok, p] {
    if (!tok.expired() && !p->done) ProbeIndirect(p);
  });
  p->deadline_timer = env_.After(p->deadline - env_.Now(), [this, tok, p] {
    if (!tok.expired() && !p->done) ProbeDeadline(p);
  });
}

void Memberlist::ProbeIndirect(const std::shared_ptr<Probe>& p) {
  const NodeState* node = Find(p->node);
  if (node == nullptr) return FinishProbe(p, true);
  auto peers = RandomNodes(config_.indirect_checks, [&](const NodeState& n) {
    return n.name == config_.name || n.name == p->node || n.status != NodeStatus::kAlive;
  });
  wire::IndirectPing ind{.seq_no = p->seq,
                         .target = node->addr.ip,
                         .port = node->addr.port,
                         .node = p->node,
                         .nack = false,
                         .source_addr = config_.advertise.ip,
                         .source_port = config_.advertise.port,
                         .source_node = config_.name};
  for (NodeState* peer : peers) {
    ind.nack = peer->vsn[1] >= 4;
    if (ind.nack) ++p->expected_nacks;
    SendMsg(peer->addr, wire::Encode(ind), peer);
  }
  // TCP fallback ping (protocol >= 3): catches UDP-only loss.
  if (node->vsn[1] >= 3) {
    wire::Ping ping{.seq_no = p->seq,
                    .node = p->node,
                    .source_addr = config_.advertise.ip,
                    .source_port = config_.advertise.port,
                    .source_node = config_.name};
    std::weak_ptr<bool> tok = alive_token_;
    std::weak_ptr<Probe> wp = p;
    const Nanos budget = std::max(p->deadline - env_.Now(), Nanos(1ms));
    env_.Exchange(node->addr, SealStream(wire::Encode(ping)), true, budget,
                  [this, tok, wp, seq = p->seq](Result<std::string> reply) {
                    if (tok.expired() || !reply.ok()) return;
                    auto sp = wp.lock();
                    if (!sp || sp->done) return;
                    auto plain = wire::OpenStream(*reply, *config_.keyring, config_.limits);
                    if (!plain.ok() || plain->empty() ||
                        static_cast<wire::MsgType>((*plain)[0]) != wire::MsgType::kAck) {
                      return;
                    }
                    auto ack = wire::DecodeBody<wire::Ack>(std::string_view(*plain).substr(1));
                    if (ack.ok() && ack->seq_no == seq) FinishProbe(sp, true);
                  });
  }
}

void Memberlist::ProbeDeadline(const std::shared_ptr<Probe>& p) {
  const NodeState* node = Find(p->node);
  // Lifeguard: missing nacks mean *we* may be the problem.
  int delta = 0;
  if (p->expected_nacks > 0) {
    if (p->nacks < p->expected_nacks) delta += p->expected_nacks - p->nacks;
  } else {
    delta += 1;
  }
  p->done = true;
  probing_ = false;
  ack_handlers_.erase(p->seq);
  ApplyAwareness(delta);
  if (node == nullptr || node->DeadOrLeft()) return;
  Log()->info("suspect {} has failed, no acks received", p->node);
  SuspectNode(
      wire::Suspect{.incarnation = node->incarnation, .node = p->node, .from = config_.name});
}

void Memberlist::FinishProbe(const std::shared_ptr<Probe>& p, bool ok) {
  if (p->done) return;
  p->done = true;
  probing_ = false;
  env_.Cancel(p->timeout_timer);
  env_.Cancel(p->deadline_timer);
  if (auto it = ack_handlers_.find(p->seq); it != ack_handlers_.end()) {
    env_.Cancel(it->second.timer);
    ack_handlers_.erase(it);
  }
  if (ok) ApplyAwareness(-1);
}

void Memberlist::GossipTick() {
  std::weak_ptr<bool> tok = alive_token_;
  tickers_.push_back(env_.After(config_.gossip_interval, [this, tok] {
    if (!tok.expired()) GossipTick();
  }));
  Gossip();
}

// memberlist state.go gossip: send queued broadcasts to k random live (or
// recently dead) nodes.
void Memberlist::Gossip(bool eager) {
  const Nanos now = env_.Now();
  auto targets = RandomNodes(config_.gossip_nodes, [&](const NodeState& n) {
    if (n.name == config_.name) return true;
    switch (n.status) {
      case NodeStatus::kAlive:
      case NodeStatus::kSuspect:
        return false;
      case NodeStatus::kDead:
        return now - n.state_change > config_.gossip_to_the_dead_time;
      default:
        return true;
    }
  });
  int avail = config_.udp_buffer_size - 2;
  if (config_.keyring->enabled()) avail -= static_cast<int>(Keyring::kOverheadV1);
  for (std::size_t j = 0; j < targets.size(); ++j) {
    NodeState* node = targets[j];
    // Eager: only what has reached fewer nodes than this round so far, so
    // news goes out at once while its retransmissions keep the regular
    // gossip pace (spread over time, they reach nodes that need them later).
    const int below = eager ? static_cast<int>(j) + 1 : std::numeric_limits<int>::max();
    std::vector<std::string> msgs = GetBroadcasts(2, avail, below);
    if (msgs.empty()) {
      if (eager) continue;
      return;
    }
    if (msgs.size() > 255) msgs.resize(255);
    if (msgs.size() == 1) {
      SendRaw(node->addr, std::move(msgs[0]), node);
    } else {
      SendRaw(node->addr, wire::MakeCompound(msgs), node);
    }
  }
}

void Memberlist::ScheduleEagerGossip() {
  if (eager_pending_) return;
  eager_pending_ = true;
  std::weak_ptr<bool> tok = alive_token_;
  // A short coalescing delay batches a burst of new broadcasts into one
  // packet per target.
  env_.After(config_.gossip_interval / 20, [this, tok] {
    if (tok.expired()) return;
    eager_pending_ = false;
    Gossip(/*eager=*/true);
  });
}

void Memberlist::PushPullTick() {
  // memberlist util.go pushPullScale: slower past 32 nodes.
  Nanos interval = config_.push_pull_interval;
  const int n = NumAliveEstimate();
  if (n > 32) {
    const double mult = std::ceil(std::log2(static_cast<double>(n)) - std::log2(32.0)) + 1.0;
    interval = Nanos(static_cast<std::int64_t>(mult * static_cast<double>(interval.count())));
  }
  std::weak_ptr<bool> tok = alive_token_;
  tickers_.push_back(env_.After(interval, [this, tok] {
    if (!tok.expired()) PushPullTick();
  }));
  PushPullRandom();
}

void Memberlist::PushPullRandom() {
  auto peer = RandomNodes(1, [&](const NodeState& s) {
    return s.name == config_.name || s.status != NodeStatus::kAlive;
  });
  if (peer.empty()) return;
  Join({peer[0]->addr}, nullptr);  // a non-join push/pull is the same exchange
}

void Memberlist::Join(const std::vector<Address>& addrs, std::function<void(int, Status)> done) {
  const bool is_join = done != nullptr;
  struct Tally {
    int pending = 0;
    int ok = 0;
    Status last;
    std::function<void(int, Status)> done;
  };
  auto tally = std::make_shared<Tally>();
  tally->pending = static_cast<int>(addrs.size());
  tally->done = std::move(done);
  if (addrs.empty()) {
    if (tally->done) tally->done(0, Status::InvalidArgument("no addresses to join"));
    return;
  }
  std::weak_ptr<bool> tok = alive_token_;
  for (const Address& a : addrs) {
    env_.Exchange(a, SealStream(EncodeLocalState(is_join)), true, config_.tcp_timeout,
                  [this, tok, tally, a](Result<std::string> reply) {
                    if (tok.expired()) return;
                    Status s = reply.status();
                    if (s.ok()) {
                      auto plain = wire::OpenStream(*reply, *config_.keyring, config_.limits);
                      s = plain.status();
                      if (s.ok()) {
                        const auto t = static_cast<wire::MsgType>((*plain)[0]);
                        if (t == wire::MsgType::kErr) {
                          auto e =
                              wire::DecodeBody<wire::ErrResp>(std::string_view(*plain).substr(1));
                          s = Status::Unavailable("remote error: " + (e.ok() ? e->error : "?"));
                        } else if (t != wire::MsgType::kPushPull) {
                          s = Status::InvalidArgument("unexpected reply type to push/pull");
                        } else {
                          s = MergeRemoteState(*plain);
                        }
                      }
                    }
                    if (s.ok()) {
                      ++tally->ok;
                    } else {
                      tally->last = s;
                      Log()->warn("push/pull with {} failed: {}", a.ToString(), s.message());
                    }
                    if (--tally->pending > 0) return;
                    // join_sync_delay: a node that joined during a join storm
                    // missed the news gossiped before anyone knew it; one
                    // more push/pull once the storm is over fetches it.
                    if (tally->done && tally->ok > 0 && config_.join_sync_delay > 0s) {
                      env_.After(config_.join_sync_delay, [this, tok] {
                        if (!tok.expired() && !left_) PushPullRandom();
                      });
                    }
                    if (tally->done) tally->done(tally->ok, tally->last);
                  });
  }
}

void Memberlist::Leave(std::function<void()> done) {
  left_ = true;
  auto it = node_map_.find(config_.name);
  if (it == node_map_.end()) {
    if (done) done();
    return;
  }
  NodeState& me = *it->second;
  const wire::Dead d{.incarnation = me.incarnation, .node = me.name, .from = me.name};
  bool anyone_alive = false;
  for (const auto& n : nodes_) {
    anyone_alive = anyone_alive || (n->name != config_.name && n->status == NodeStatus::kAlive);
  }
  auto once = std::make_shared<std::function<void()>>(std::move(done));
  auto fire = [once] {
    if (*once) {
      auto f = std::move(*once);
      *once = nullptr;
      f();
    }
  };
  Broadcast(me.name, wire::Encode(d), anyone_alive ? std::function<void()>(fire) : nullptr);
  me.status = NodeStatus::kLeft;
  me.state_change = env_.Now();
  if (!anyone_alive) fire();
}

}  // namespace ckron::membership
