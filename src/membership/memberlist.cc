// State transitions (alive, suspect, dead, merges); see memberlist.h for the
// map. Messages in and out are in memberlist_messages.cc.
#include "membership/memberlist.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"

namespace ckron::membership {

namespace {
std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("gossip");
}
}  // namespace

struct Memberlist::Suspicion {
  int k = 0;  // confirmations wanted
  int n = 0;  // confirmations seen
  Nanos min{0}, max{0}, start{0};
  Nanos change_time{0};
  std::set<std::string, std::less<>> confirmations;
  Env::TimerId timer = 0;
  Env::TimerId check = 0;  // verify_suspects: the next check
};

void Memberlist::DropSuspicion(const std::string& node) {
  auto it = suspicions_.find(node);
  if (it == suspicions_.end()) return;
  env_.Cancel(it->second->timer);
  env_.Cancel(it->second->check);
  suspicions_.erase(it);
}

Status ApplyProfile(std::string_view profile, MemberlistConfig* c) {
  MemberlistConfig d;  // LAN defaults
  c->tcp_timeout = d.tcp_timeout;
  c->indirect_checks = d.indirect_checks;
  c->retransmit_mult = d.retransmit_mult;
  c->suspicion_mult = d.suspicion_mult;
  c->push_pull_interval = d.push_pull_interval;
  c->probe_timeout = d.probe_timeout;
  c->probe_interval = d.probe_interval;
  c->gossip_nodes = d.gossip_nodes;
  c->gossip_interval = d.gossip_interval;
  c->gossip_to_the_dead_time = d.gossip_to_the_dead_time;
  c->suspicion_scale_cap = d.suspicion_scale_cap;
  if (profile == "lan" || profile.empty()) return OkStatus();
  // wan and local keep memberlist's timings exactly, log10 n scaling too;
  // only lan is tuned (docs/membership.md).
  c->suspicion_scale_cap = 0;
  if (profile == "wan") {  // memberlist DefaultWANConfig
    c->tcp_timeout = 30s;
    c->suspicion_mult = 6;
    c->push_pull_interval = 60s;
    c->probe_timeout = 3s;
    c->probe_interval = 5s;
    c->gossip_nodes = 4;
    c->gossip_interval = 500ms;
    c->gossip_to_the_dead_time = 60s;
    return OkStatus();
  }
  if (profile == "local") {  // memberlist DefaultLocalConfig
    c->tcp_timeout = 1s;
    c->indirect_checks = 1;
    c->retransmit_mult = 2;
    c->suspicion_mult = 3;
    c->push_pull_interval = 15s;
    c->probe_timeout = 200ms;
    c->probe_interval = 1s;
    c->gossip_interval = 100ms;
    c->gossip_to_the_dead_time = 15s;
    return OkStatus();
  }
  return Status::InvalidArgument("unknown profile '" + std::string(profile) +
                                 "' (want lan, wan or local)");
}

MemberlistConfig MemberlistLanConfig() {
  MemberlistConfig c;
  c.tcp_timeout = 10s;
  c.indirect_checks = 3;
  c.retransmit_mult = 4;
  c.suspicion_mult = 4;
  c.suspicion_max_timeout_mult = 6;
  c.push_pull_interval = 30s;
  c.probe_timeout = 500ms;
  c.probe_interval = 1s;
  c.awareness_max_multiplier = 8;
  c.gossip_nodes = 3;
  c.gossip_interval = 200ms;
  c.gossip_to_the_dead_time = 30s;
  c.eager_gossip = false;
  c.stale_answers = false;
  c.verify_suspects = false;
  c.join_sync_delay = 0s;
  c.suspect_probers = 0;
  c.suspicion_scale_cap = 0;
  return c;
}

Memberlist::Memberlist(MemberlistConfig config, Env& env, MemberlistDelegate& delegate,
                       GossipCounters& counters)
    : config_(std::move(config)),
      env_(env),
      delegate_(delegate),
      counters_(counters),
      broadcasts_(config_.retransmit_mult) {}

Memberlist::~Memberlist() {
  Stop();
}

void Memberlist::Stop() {
  for (auto id : tickers_) env_.Cancel(id);
  tickers_.clear();
  for (auto& [seq, h] : ack_handlers_) env_.Cancel(h.timer);
  ack_handlers_.clear();
  while (!suspicions_.empty()) DropSuspicion(suspicions_.begin()->first);
  alive_token_ = std::make_shared<bool>(true);  // orphans pending callbacks
  started_ = false;
}

wire::Alive Memberlist::SelfAlive(std::uint32_t incarnation) {
  return wire::Alive{.incarnation = incarnation,
                     .node = config_.name,
                     .addr = config_.advertise.ip,
                     .port = config_.advertise.port,
                     .meta = delegate_.NodeMeta(),
                     .vsn = VsnVec(config_.vsn)};
}

void Memberlist::Start() {
  AliveNode(SelfAlive(NextIncarnation()), nullptr, true);
  started_ = true;
  ScheduleTickers();
}

void Memberlist::UpdateNode() {
  AliveNode(SelfAlive(NextIncarnation()), nullptr, true);
}

const NodeState* Memberlist::Find(const std::string& name) const {
  auto it = node_map_.find(name);
  return it == node_map_.end() ? nullptr : it->second;
}

void Memberlist::CheckInvariants() const {
  CKRON_CHECK(nodes_.size() == node_map_.size());
  for (const auto& n : nodes_) {
    auto it = node_map_.find(n->name);
    CKRON_CHECK(it != node_map_.end() && it->second == n.get());
  }
  CKRON_CHECK(awareness_ >= 0 && awareness_ < std::max(1, config_.awareness_max_multiplier));
  if (started_) CKRON_CHECK(Find(config_.name) != nullptr);
}

void Memberlist::TEST_MergeFrom(const Memberlist& other) {
  std::vector<wire::PushNodeState> remote;
  remote.reserve(other.nodes_.size());
  for (const auto& n : other.nodes_) {
    remote.push_back(wire::PushNodeState{.name = n->name,
                                         .addr = n->addr.ip,
                                         .port = n->addr.port,
                                         .meta = n->meta,
                                         .incarnation = n->incarnation,
                                         .state = static_cast<wire::NodeStateType>(n->status),
                                         .vsn = VsnVec(n->vsn)});
  }
  MergeState(remote);
}

void Memberlist::Broadcast(const std::string& key, std::string msg, std::function<void()> notify) {
  broadcasts_.Queue(key, std::move(msg), std::move(notify));
  NotifyBroadcastQueued();
}

void Memberlist::NotifyBroadcastQueued() {
  if (config_.eager_gossip && started_) ScheduleEagerGossip();
}

// memberlist state.go refute: bump our incarnation past the accusation and
// broadcast that we are alive; counts against our local health (Lifeguard).
void Memberlist::Refute(NodeState& me, std::uint32_t accused_inc) {
  std::uint32_t inc = NextIncarnation();
  if (accused_inc >= inc) {
    incarnation_ = accused_inc + 1;
    inc = incarnation_;
  }
  me.incarnation = inc;
  ApplyAwareness(1);
  wire::Alive a = SelfAlive(inc);
  a.meta = me.meta;
  Broadcast(me.name, wire::Encode(a));
}

// memberlist state.go aliveNode.
void Memberlist::AliveNode(const wire::Alive& a, std::function<void()> notify, bool bootstrap) {
  if (left_ && a.node == config_.name) return;
  if (a.vsn.size() >= 3 && (a.vsn[0] == 0 || a.vsn[1] == 0 || a.vsn[0] > a.vsn[1])) {
    Log()->warn("ignoring alive message for '{}' with bad protocol versions", a.node);
    return;
  }
  if (a.addr.size() != 4 && a.addr.size() != 16) {
    Log()->warn("ignoring alive message for '{}' with a bad address", a.node);
    return;
  }
  const Address addr{NormalizeIp(a.addr), a.port};
  auto it = node_map_.find(a.node);
  NodeState* state = nullptr;
  bool updates_node = false;
  if (it == node_map_.end()) {
    auto fresh = std::make_unique<NodeState>();
    fresh->name = a.node;
    fresh->addr = addr;
    fresh->meta = a.meta;
    fresh->status = NodeStatus::kDead;
    if (a.vsn.size() >= 6) std::copy_n(a.vsn.begin(), 6, fresh->vsn);
    state = fresh.get();
    node_map_[a.node] = state;
    // Insert at a random offset so probe order stays random.
    const std::size_t n = nodes_.size();
    nodes_.push_back(std::move(fresh));
    const std::size_t off = static_cast<std::size_t>(RandomBelow(env_, n + 1));
    std::swap(nodes_[off], nodes_[n]);
  } else {
    state = it->second;
    if (state->addr != addr) {
      const bool can_reclaim = config_.dead_node_reclaim_time > 0s &&
                               env_.Now() - state->state_change > config_.dead_node_reclaim_time;
      if (state->status == NodeStatus::kLeft ||
          (state->status == NodeStatus::kDead && can_reclaim)) {
        Log()->info("updating address for left or failed node {} from {} to {}", state->name,
                    state->addr.ToString(), addr.ToString());
        updates_node = true;
      } else {
        Log()->error("conflicting address for {}: mine {} theirs {} (state {})", state->name,
                     state->addr.ToString(), addr.ToString(), static_cast<int>(state->status));
        return;
      }
    }
  }
  const bool is_local = state->name == config_.name;
  if (a.incarnation <= state->incarnation && !is_local && !updates_node) return;
  if (a.incarnation < state->incarnation && is_local) return;

  DropSuspicion(a.node);
  const NodeStatus old_status = state->status;
  const std::string old_meta = state->meta;
  if (!bootstrap && is_local) {
    if (a.incarnation == state->incarnation && a.meta == state->meta &&
        a.vsn == VsnVec(state->vsn)) {
      return;
    }
    Refute(*state, a.incarnation);
    Log()->warn("refuting an alive message for '{}' (incarnation {})", a.node, a.incarnation);
  } else {
    Broadcast(a.node, wire::Encode(a), std::move(notify));
    if (a.vsn.size() >= 6) std::copy_n(a.vsn.begin(), 6, state->vsn);
    state->incarnation = a.incarnation;
    state->meta = a.meta;
    state->addr = addr;
    if (state->status != NodeStatus::kAlive) {
      state->status = NodeStatus::kAlive;
      state->state_change = env_.Now();
    }
  }
  if (old_status == NodeStatus::kDead || old_status == NodeStatus::kLeft) {
    delegate_.NotifyJoin(*state);
  } else if (old_meta != state->meta) {
    delegate_.NotifyUpdate(*state);
  }
}

// memberlist state.go suspectNode, with Lifeguard's dynamic timeout.
void Memberlist::SuspectNode(const wire::Suspect& s, const Address* sender) {
  auto it = node_map_.find(s.node);
  if (it == node_map_.end()) return;
  NodeState& state = *it->second;
  if (s.incarnation < state.incarnation) {
    if (sender != nullptr) AnswerStaleAccusation(state, *sender);
    return;
  }

  if (auto sit = suspicions_.find(s.node); sit != suspicions_.end()) {
    Suspicion& sus = *sit->second;
    if (sus.n >= sus.k || sus.confirmations.count(s.from)) return;
    sus.confirmations.insert(s.from);
    ++sus.n;
    // Lifeguard: each independent confirmation pulls the timeout from max
    // toward min on a log curve (memberlist suspicion.go).
    const double frac =
        std::log(static_cast<double>(sus.n) + 1.0) / std::log(static_cast<double>(sus.k) + 1.0);
    const double raw = static_cast<double>(sus.max.count()) -
                       frac * static_cast<double>((sus.max - sus.min).count());
    Nanos timeout{static_cast<std::int64_t>(std::floor(raw / 1e6)) * 1'000'000};
    if (timeout < sus.min) timeout = sus.min;
    const Nanos remaining = timeout - (env_.Now() - sus.start);
    env_.Cancel(sus.timer);
    const std::string node = s.node;
    const Nanos change = sus.change_time;
    std::weak_ptr<bool> tok = alive_token_;
    sus.timer = env_.After(std::max(remaining, Nanos(0)), [this, tok, node, change] {
      if (!tok.expired()) OnSuspicionTimeout(node, change);
    });
    Broadcast(s.node, wire::Encode(s));
    return;
  }
  if (state.status != NodeStatus::kAlive) return;
  if (state.name == config_.name) {
    Refute(state, s.incarnation);
    Log()->warn("refuting a suspect message from {}", s.from);
    if (sender != nullptr) AnswerStaleAccusation(state, *sender);  // and tell the messenger at once
    return;
  }
  Broadcast(s.node, wire::Encode(s));
  state.incarnation = s.incarnation;
  state.status = NodeStatus::kSuspect;
  state.state_change = env_.Now();
  Log()->info("suspect {} (from {})", s.node, s.from);

  auto sus = std::make_unique<Suspicion>();
  sus->k = config_.suspicion_mult - 2;
  const int n = NumAliveEstimate();
  if (n - 2 < sus->k) sus->k = 0;
  double scale = std::max(1.0, std::log10(std::max(1.0, static_cast<double>(n))));
  if (config_.suspicion_scale_cap > 0) scale = std::min(scale, config_.suspicion_scale_cap);
  sus->min = Nanos(static_cast<std::int64_t>(config_.suspicion_mult * scale *
                                             static_cast<double>(config_.probe_interval.count())));
  sus->max = sus->min * config_.suspicion_max_timeout_mult;
  sus->start = env_.Now();
  sus->change_time = state.state_change;
  sus->confirmations.insert(s.from);
  const std::string node = s.node;
  const Nanos change = state.state_change;
  std::weak_ptr<bool> tok = alive_token_;
  sus->timer = env_.After(sus->k < 1 ? sus->min : sus->max, [this, tok, node, change] {
    if (!tok.expired()) OnSuspicionTimeout(node, change);
  });
  Suspicion& ref = *sus;
  suspicions_[s.node] = std::move(sus);
  // verify_suspects: before our timer can fire, ask the suspect ourselves.
  if (config_.verify_suspects) ScheduleCheck(ref, node, ref.min / 2);

  // Suspect probers: a few nodes re-probe a fresh suspect at once, so a
  // dead node collects the independent confirmations that shorten its
  // timeout within about one probe interval. Each node that hears the
  // suspicion volunteers with probability suspect_probers / (n - 2): a
  // bounded number of probes whatever the cluster size, and so a bounded
  // chance that packet loss alone confirms a live node.
  if (config_.suspect_probers > 0 && s.from != config_.name && started_) {
    const double others = std::max(1.0, static_cast<double>(n - 2));
    const double p = std::min(1.0, config_.suspect_probers / others);
    const double roll = static_cast<double>(env_.Random() >> 11) * 0x1.0p-53;
    if (roll < p) {
      priority_probe_ = s.node;
      if (!probing_) ProbeNode(s.node), priority_probe_.clear();
    }
  }
}

// verify_suspects: ping the suspect with the accusation attached. A live
// suspect that refuted already answers with its newer alive message
// (AnswerStaleAccusation); one that had not heard refutes now and answers
// too. A dead one answers nothing, and our timer runs on.
void Memberlist::ScheduleCheck(Suspicion& sus, const std::string& node, Nanos at) {
  std::weak_ptr<bool> tok = alive_token_;
  const Nanos change = sus.change_time;
  sus.check = env_.After(at - (env_.Now() - sus.start), [this, tok, node, change, at] {
    if (tok.expired()) return;
    auto it = suspicions_.find(node);
    if (it == suspicions_.end() || it->second->change_time != change) return;
    Suspicion& s = *it->second;
    s.check = 0;
    CheckSuspect(node, change);
    // At 1/2 and 3/4 of the minimum timeout, then at doubling intervals
    // until the maximum: a few packets for a dead suspect (its
    // confirmations soon cut the timeout to the minimum), and repeated
    // chances for a live one whose answer the network dropped.
    const Nanos next = at == s.min / 2 ? s.min * 3 / 4 : at * 2;
    if (next < s.max) ScheduleCheck(s, node, next);
  });
}

void Memberlist::CheckSuspect(const std::string& node, Nanos change_time) {
  const NodeState* n = Find(node);
  if (n == nullptr || n->status != NodeStatus::kSuspect || n->state_change != change_time) return;
  const wire::Ping ping{.seq_no = NextSeq(),
                        .node = node,
                        .source_addr = config_.advertise.ip,
                        .source_port = config_.advertise.port,
                        .source_node = config_.name};
  const wire::Suspect accusation{.incarnation = n->incarnation, .node = node, .from = config_.name};
  SendRaw(n->addr, wire::MakeCompound({wire::Encode(ping), wire::Encode(accusation)}), n);
}

void Memberlist::OnSuspicionTimeout(const std::string& node, Nanos change_time) {
  auto it = node_map_.find(node);
  if (it == node_map_.end()) return;
  NodeState& state = *it->second;
  if (state.status != NodeStatus::kSuspect || state.state_change != change_time) return;
  int confirmations = 0;
  if (auto s = suspicions_.find(node); s != suspicions_.end()) confirmations = s->second->n;
  Log()->info("marking {} as failed, suspect timeout reached ({} peer confirmations)", node,
              confirmations);
  DeadNode(wire::Dead{.incarnation = state.incarnation, .node = node, .from = config_.name});
}

// memberlist state.go deadNode.
void Memberlist::DeadNode(const wire::Dead& d, const Address* sender) {
  auto it = node_map_.find(d.node);
  if (it == node_map_.end()) return;
  NodeState& state = *it->second;
  if (d.incarnation < state.incarnation) {
    if (sender != nullptr) AnswerStaleAccusation(state, *sender);
    return;
  }
  DropSuspicion(d.node);
  if (state.DeadOrLeft()) return;
  if (state.name == config_.name) {
    if (!left_) {
      Refute(state, d.incarnation);
      Log()->warn("refuting a dead message from {}", d.from);
      if (sender != nullptr) AnswerStaleAccusation(state, *sender);
      return;
    }
  }
  Broadcast(d.node, wire::Encode(d));
  state.incarnation = d.incarnation;
  state.status = d.node == d.from ? NodeStatus::kLeft : NodeStatus::kDead;
  state.state_change = env_.Now();
  delegate_.NotifyLeave(state);
}

// ckron addition (stale_answers, see memberlist.h): the sender of an
// accusation we know to be refuted missed the refutation; tell it.
void Memberlist::AnswerStaleAccusation(const NodeState& state, const Address& sender) {
  if (!config_.stale_answers || left_) return;
  if (state.status != NodeStatus::kAlive && state.status != NodeStatus::kSuspect) return;
  if (sender == config_.advertise) return;
  wire::Alive a{.incarnation = state.incarnation,
                .node = state.name,
                .addr = state.addr.ip,
                .port = state.addr.port,
                .meta = state.meta,
                .vsn = VsnVec(state.vsn)};
  SendMsg(sender, wire::Encode(a), nullptr);
}

void Memberlist::MergeState(const std::vector<wire::PushNodeState>& remote) {
  for (const auto& r : remote) {
    switch (r.state) {
      case wire::NodeStateType::kAlive:
        AliveNode(wire::Alive{.incarnation = r.incarnation,
                              .node = r.name,
                              .addr = r.addr,
                              .port = r.port,
                              .meta = r.meta,
                              .vsn = r.vsn},
                  nullptr, false);
        break;
      case wire::NodeStateType::kLeft:
        DeadNode(wire::Dead{.incarnation = r.incarnation, .node = r.name, .from = r.name});
        break;
      case wire::NodeStateType::kDead:
      case wire::NodeStateType::kSuspect:
        // Never trust a remote's word that a node is dead: suspect it and
        // let it refute (memberlist mergeState).
        SuspectNode(
            wire::Suspect{.incarnation = r.incarnation, .node = r.name, .from = config_.name});
        break;
    }
  }
}

// memberlist state.go verifyProtocol: every alive node's current versions
// must lie in the intersection of everyone's [min, max].
Status Memberlist::VerifyProtocol(const std::vector<wire::PushNodeState>& remote) const {
  std::uint8_t maxpmin = 0, minpmax = 255, maxdmin = 0, mindmax = 255;
  auto widen = [&](const std::uint8_t* v) {
    maxpmin = std::max(maxpmin, v[0]);
    minpmax = std::min(minpmax, v[1]);
    maxdmin = std::max(maxdmin, v[3]);
    mindmax = std::min(mindmax, v[4]);
  };
  for (const auto& r : remote) {
    if (r.state == wire::NodeStateType::kAlive && r.vsn.size() >= 6) widen(r.vsn.data());
  }
  for (const auto& n : nodes_) {
    if (n->status == NodeStatus::kAlive) widen(n->vsn);
  }
  auto check = [&](const std::string& name, std::uint8_t pcur, std::uint8_t dcur) -> Status {
    if (pcur < maxpmin || pcur > minpmax) {
      return Status::FailedPrecondition("node '" + name + "' protocol version " +
                                        std::to_string(pcur) + " is incompatible");
    }
    if (dcur < maxdmin || dcur > mindmax) {
      return Status::FailedPrecondition("node '" + name + "' delegate protocol version " +
                                        std::to_string(dcur) + " is incompatible");
    }
    return OkStatus();
  };
  for (const auto& r : remote) {
    if (r.vsn.size() < 6) {
      if (r.vsn.empty()) CKRON_RETURN_IF_ERROR(check(r.name, 0, 0));
      continue;
    }
    CKRON_RETURN_IF_ERROR(check(r.name, r.vsn[2], r.vsn[5]));
  }
  for (const auto& n : nodes_) CKRON_RETURN_IF_ERROR(check(n->name, n->vsn[2], n->vsn[5]));
  return OkStatus();
}

}  // namespace ckron::membership
