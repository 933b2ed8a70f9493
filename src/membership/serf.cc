#include "membership/serf.h"

#include <algorithm>

#include "common/log.h"

namespace ckron::membership {

namespace {
std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("gossip");
}
using serf_wire::LamportTime;
using SMsg = serf_wire::MsgType;
constexpr std::string_view kInternalPrefix = "_serf_";

// Re-arms itself every `interval` until the token dies.
void Every(Env& env, Nanos interval, std::weak_ptr<bool> tok, std::function<void()> fn) {
  env.After(interval, [&env, interval, tok, fn] {
    if (tok.expired()) return;
    fn();
    Every(env, interval, tok, fn);
  });
}
}  // namespace

const char* MemberStatusName(MemberStatus s) {
  switch (s) {
    case MemberStatus::kAlive:
      return "alive";
    case MemberStatus::kLeaving:
      return "leaving";
    case MemberStatus::kLeft:
      return "left";
    case MemberStatus::kFailed:
      return "failed";
    default:
      return "none";
  }
}

Serf::Serf(SerfConfig config, MemberlistConfig ml_config, Env& env, GossipCounters& counters,
           EventFn on_event)
    : config_(std::move(config)),
      env_(env),
      on_event_(std::move(on_event)),
      event_buffer_(static_cast<std::size_t>(std::max(1, config_.event_buffer))),
      query_buffer_(static_cast<std::size_t>(std::max(1, config_.query_buffer))),
      broadcasts_(ml_config.retransmit_mult),
      event_broadcasts_(ml_config.retransmit_mult),
      query_broadcasts_(ml_config.retransmit_mult) {
  ml_config.name = config_.node_name;
  ml_config.vsn[3] = serf_wire::kDelegateMin;
  ml_config.vsn[4] = serf_wire::kDelegateMax;
  ml_config.vsn[5] = serf_wire::kDelegateCur;
  memberlist_ = std::make_unique<Memberlist>(std::move(ml_config), env, *this, counters);
}

Serf::~Serf() {
  Stop();
}

void Serf::Stop() {
  memberlist_->Stop();
  alive_token_ = std::make_shared<bool>(true);
}

void Serf::TEST_DropBroadcasts() {
  broadcasts_.Prune(0);
  event_broadcasts_.Prune(0);
  query_broadcasts_.Prune(0);
  memberlist_->TEST_DropBroadcasts();
}

void Serf::Start() {
  memberlist_->Start();
  Every(env_, config_.reap_interval, alive_token_, [this] { Reap(); });
  Every(env_, config_.reconnect_interval, alive_token_, [this] { Reconnect(); });
}

void Serf::QueueBroadcast(BroadcastQueue& q, std::string msg, std::function<void()> notify) {
  q.Queue("", std::move(msg), std::move(notify));
  if (q.size() > config_.max_queue_depth) q.Prune(config_.max_queue_depth);
  memberlist_->NotifyBroadcastQueued();
}

void Serf::Join(const std::vector<Address>& addrs, std::function<void(int, Status)> done) {
  std::weak_ptr<bool> tok = alive_token_;
  memberlist_->Join(addrs, [this, tok, done = std::move(done)](int n, Status s) {
    if (!tok.expired() && n > 0) {
      // serf.go broadcastJoin: announce our join intent at the current time.
      const serf_wire::Join j{.ltime = clock_.Time(), .node = config_.node_name};
      clock_.Witness(j.ltime);
      HandleJoinIntent(j);
      QueueBroadcast(broadcasts_, serf_wire::Encode(j));
    }
    if (done) done(n, s);
  });
}

void Serf::Leave(std::function<void()> done) {
  if (leaving_) {
    if (done) done();
    return;
  }
  leaving_ = true;
  const serf_wire::Leave l{.ltime = clock_.Time(), .node = config_.node_name};
  clock_.Increment();
  HandleLeaveIntent(l);
  bool anyone = false;
  for (const auto& [name, m] : members_) {
    anyone = anyone || (name != config_.node_name && m.member.status == MemberStatus::kAlive);
  }
  auto once = std::make_shared<std::function<void()>>(std::move(done));
  std::weak_ptr<bool> tok = alive_token_;
  auto finish = [this, tok, once] {
    if (tok.expired() || !*once) return;
    auto f = std::move(*once);
    *once = nullptr;
    env_.After(config_.leave_propagate_delay, f);
  };
  auto after_intent = std::make_shared<bool>(false);
  auto step2 = [this, tok, finish, after_intent] {
    if (tok.expired() || *after_intent) return;
    *after_intent = true;
    memberlist_->Leave(finish);
    env_.After(config_.broadcast_timeout, finish);
  };
  if (anyone) {
    QueueBroadcast(broadcasts_, serf_wire::Encode(l), step2);
    env_.After(config_.broadcast_timeout, step2);
  } else {
    step2();
  }
}

Status Serf::SetTags(std::map<std::string, std::string> tags) {
  if (serf_wire::EncodeTags(tags).size() > 512) {
    return Status::InvalidArgument("encoded length of tags exceeds limit of 512 bytes");
  }
  config_.tags = std::move(tags);
  memberlist_->UpdateNode();
  return OkStatus();
}

Status Serf::UserEvent(const std::string& name, const std::string& payload, bool coalesce) {
  if (name.size() + payload.size() > config_.user_event_size_limit) {
    return Status::InvalidArgument("user event exceeds configured limit of " +
                                   std::to_string(config_.user_event_size_limit) + " bytes");
  }
  const serf_wire::UserEvent e{
      .ltime = event_clock_.Time(), .name = name, .payload = payload, .cc = coalesce};
  event_clock_.Increment();
  HandleUserEvent(e);
  QueueBroadcast(event_broadcasts_, serf_wire::Encode(e));
  return OkStatus();
}

std::vector<Member> Serf::Members() const {
  std::vector<Member> out;
  out.reserve(members_.size());
  for (const auto& [name, m] : members_) out.push_back(m.member);
  return out;
}

void Serf::Emit(SerfEvent::Type type, const Member& m) {
  if (!on_event_) return;
  SerfEvent e;
  e.type = type;
  e.members.push_back(m);
  on_event_(e);
}

// ------------------------------------------------------- memberlist events

void Serf::NotifyJoin(const NodeState& n) {
  auto it = members_.find(n.name);
  MemberStatus old = MemberStatus::kNone;
  if (it == members_.end()) {
    MemberState ms;
    ms.member.name = n.name;
    ms.member.status = MemberStatus::kAlive;
    // A join or leave intent may have arrived before the node itself.
    if (auto in = recent_intents_.find(n.name); in != recent_intents_.end()) {
      ms.status_ltime = in->second.ltime;
      ms.status_from_sync = in->second.from_sync;
      if (in->second.type == SMsg::kLeave) ms.member.status = MemberStatus::kLeaving;
    }
    it = members_.emplace(n.name, std::move(ms)).first;
  } else {
    old = it->second.member.status;
    it->second.member.status = MemberStatus::kAlive;
    it->second.leave_time = Nanos(0);
  }
  Member& m = it->second.member;
  m.addr = n.addr;
  auto tags = serf_wire::DecodeTags(n.meta);
  if (tags.ok()) m.tags = std::move(*tags);
  std::copy_n(n.vsn, 6, m.vsn);
  if (old == MemberStatus::kFailed || old == MemberStatus::kLeft) {
    std::erase(failed_, n.name);
    std::erase(left_, n.name);
  }
  Log()->info("EventMemberJoin: {} {}", m.name, FormatIp(m.addr.ip));
  Emit(SerfEvent::Type::kMemberJoin, m);
}

void Serf::NotifyLeave(const NodeState& n) {
  auto it = members_.find(n.name);
  if (it == members_.end()) return;
  MemberState& ms = it->second;
  switch (ms.member.status) {
    case MemberStatus::kLeaving:
      ms.member.status = MemberStatus::kLeft;
      ms.leave_time = env_.Now();
      left_.push_back(n.name);
      break;
    case MemberStatus::kAlive:
      ms.member.status = MemberStatus::kFailed;
      ms.leave_time = env_.Now();
      failed_.push_back(n.name);
      break;
    default:
      return;
  }
  const bool left = ms.member.status == MemberStatus::kLeft;
  Log()->info("{}: {} {}", left ? "EventMemberLeave" : "EventMemberFailed", ms.member.name,
              FormatIp(ms.member.addr.ip));
  Emit(left ? SerfEvent::Type::kMemberLeave : SerfEvent::Type::kMemberFailed, ms.member);
}

void Serf::NotifyUpdate(const NodeState& n) {
  auto it = members_.find(n.name);
  if (it == members_.end()) return;
  Member& m = it->second.member;
  m.addr = n.addr;
  auto tags = serf_wire::DecodeTags(n.meta);
  if (tags.ok()) m.tags = std::move(*tags);
  std::copy_n(n.vsn, 6, m.vsn);
  Log()->info("EventMemberUpdate: {}", m.name);
  Emit(SerfEvent::Type::kMemberUpdate, m);
}

// ------------------------------------------------------- intents

bool Serf::UpsertIntent(const std::string& node, SMsg type, LamportTime t, bool from_sync) {
  auto it = recent_intents_.find(node);
  if (it == recent_intents_.end() || t > it->second.ltime ||
      (t == it->second.ltime && it->second.from_sync && type == SMsg::kLeave)) {
    recent_intents_[node] = Intent{type, t, env_.Now(), from_sync && type == SMsg::kJoin};
    return true;
  }
  return false;
}

// serf.go handleNodeJoinIntent.
bool Serf::HandleJoinIntent(const serf_wire::Join& j, bool from_sync) {
  clock_.Witness(j.ltime);
  auto it = members_.find(j.node);
  if (it == members_.end()) return UpsertIntent(j.node, SMsg::kJoin, j.ltime, from_sync);
  MemberState& ms = it->second;
  if (j.ltime <= ms.status_ltime) return false;
  ms.status_ltime = j.ltime;
  ms.status_from_sync = from_sync;
  if (ms.member.status == MemberStatus::kLeaving) ms.member.status = MemberStatus::kAlive;
  return true;
}

// serf.go handleNodeLeaveIntent.
bool Serf::HandleLeaveIntent(const serf_wire::Leave& l) {
  clock_.Witness(l.ltime);
  auto it = members_.find(l.node);
  if (it == members_.end()) return UpsertIntent(l.node, SMsg::kLeave, l.ltime);
  MemberState& ms = it->second;
  // Serf drops an intent that is not newer than the status time. A state
  // sync that reached us between a node's leave and its intent carries the
  // intent's own time, read as a join; the intent at that time must win, or
  // a graceful leave ends as a failure (a node announces a join and a leave
  // at different times, so equality cannot hide a newer join).
  if (l.ltime < ms.status_ltime || (l.ltime == ms.status_ltime && !ms.status_from_sync)) {
    return false;
  }
  if (l.node == config_.node_name && !leaving_) {
    // Someone says we left while we did not: refute by re-announcing.
    const serf_wire::Join j{.ltime = clock_.Time(), .node = config_.node_name};
    HandleJoinIntent(j);
    QueueBroadcast(broadcasts_, serf_wire::Encode(j));
    return false;
  }
  ms.status_ltime = l.ltime;
  ms.status_from_sync = false;
  switch (ms.member.status) {
    case MemberStatus::kAlive:
      ms.member.status = MemberStatus::kLeaving;
      if (l.prune) EraseNode(l.node);
      return true;
    case MemberStatus::kFailed: {
      ms.member.status = MemberStatus::kLeft;
      std::erase(failed_, l.node);
      left_.push_back(l.node);
      // A named logger, not Log()'s temporary: clang 14's ASan reports the
      // temporary's destructor, which it runs after the switch, as a
      // stack-use-after-scope (a false positive of its switch cleanups).
      const auto log = Log();
      log->info("EventMemberLeave (forced): {}", l.node);
      Emit(SerfEvent::Type::kMemberLeave, ms.member);
      if (l.prune) EraseNode(l.node);
      return true;
    }
    case MemberStatus::kLeaving:
    case MemberStatus::kLeft:
      if (l.prune) EraseNode(l.node);
      return true;
    default:
      return false;
  }
}

// serf.go handleUserEvent: de-duplicated by (ltime, name, payload) in a ring.
bool Serf::HandleUserEvent(const serf_wire::UserEvent& e) {
  event_clock_.Witness(e.ltime);
  if (e.ltime < event_min_time_) return false;
  const LamportTime cur = event_clock_.Time();
  const auto n = static_cast<LamportTime>(event_buffer_.size());
  if (cur > n && e.ltime < cur - n) {
    Log()->warn("received old event {} from time {} (current: {})", e.name, e.ltime, cur);
    return false;
  }
  EventSlot& slot = event_buffer_[static_cast<std::size_t>(e.ltime % n)];
  const serf_wire::UserEventEntry entry{e.name, e.payload};
  if (slot.used && slot.ltime == e.ltime) {
    if (std::find(slot.events.begin(), slot.events.end(), entry) != slot.events.end()) return false;
  } else {
    slot = EventSlot{e.ltime, {}, true};
  }
  slot.events.push_back(entry);
  if (on_event_) {
    SerfEvent ev;
    ev.type = SerfEvent::Type::kUser;
    ev.name = e.name;
    ev.payload = e.payload;
    ev.ltime = e.ltime;
    ev.coalesce = e.cc;
    on_event_(ev);
  }
  return true;
}

// serf.go handleQuery: de-duplicate, ack if asked, answer internal queries.
// A user query is surfaced as an event and acked; ckron sends no payload
// answer for it (a Serf asker then sees the ack and times out cleanly).
bool Serf::HandleQuery(const serf_wire::Query& q) {
  query_clock_.Witness(q.ltime);
  const LamportTime cur = query_clock_.Time();
  const auto n = static_cast<LamportTime>(query_buffer_.size());
  if (cur > n && q.ltime < cur - n) return false;
  QuerySlot& slot = query_buffer_[static_cast<std::size_t>(q.ltime % n)];
  if (slot.used && slot.ltime == q.ltime) {
    if (std::find(slot.ids.begin(), slot.ids.end(), q.id) != slot.ids.end()) return false;
  } else {
    slot = QuerySlot{q.ltime, {}, true};
  }
  slot.ids.push_back(q.id);
  const bool rebroadcast = (q.flags & serf_wire::kQueryFlagNoBroadcast) == 0;
  if (!serf_wire::QueryFiltersMatch(q.filters, config_.node_name, config_.tags)) return rebroadcast;
  if (q.addr.size() != 4 && q.addr.size() != 16) return rebroadcast;
  const Address asker{NormalizeIp(q.addr), q.port};
  if (q.flags & serf_wire::kQueryFlagAck) {
    memberlist_->SendToAddress(
        asker, serf_wire::Encode(serf_wire::QueryResponse{.ltime = q.ltime,
                                                          .id = q.id,
                                                          .from = config_.node_name,
                                                          .flags = serf_wire::kQueryFlagAck}));
  }
  if (std::string_view(q.name).starts_with(kInternalPrefix)) {
    const std::string_view what = std::string_view(q.name).substr(kInternalPrefix.size());
    if (what == "conflict") {
      std::optional<serf_wire::MemberInfo> info;
      if (auto it = members_.find(q.payload);
          it != members_.end() && q.payload != config_.node_name) {
        const Member& m = it->second.member;
        info = serf_wire::MemberInfo{.name = m.name,
                                     .addr = m.addr.ip,
                                     .port = m.addr.port,
                                     .tags = m.tags,
                                     .status = static_cast<std::uint8_t>(m.status)};
        std::copy_n(m.vsn, 6, info->vsn);
        RespondToQuery(q, serf_wire::EncodeConflictResponse(info));
      }
    } else if (what == "list-keys") {
      const auto& ring = *memberlist_->config().keyring;
      serf_wire::KeyResponse r{.result = ring.enabled(), .keys = ring.KeysBase64()};
      if (!r.keys.empty()) r.primary_key = r.keys.front();
      RespondToQuery(q, serf_wire::Encode(r));
    } else if (what == "install-key" || what == "use-key" || what == "remove-key") {
      RespondToQuery(
          q, serf_wire::Encode(serf_wire::KeyResponse{
                 .result = false, .message = "ckron does not change its keyring at run time"}));
    }
    return rebroadcast;  // _serf_ping and unknown internal queries: the ack is the answer
  }
  if (on_event_) {
    SerfEvent ev;
    ev.type = SerfEvent::Type::kQuery;
    ev.name = q.name;
    ev.payload = q.payload;
    ev.ltime = q.ltime;
    on_event_(ev);
  }
  return rebroadcast;
}

void Serf::RespondToQuery(const serf_wire::Query& q, std::string payload) {
  const Address asker{NormalizeIp(q.addr), q.port};
  memberlist_->SendToAddress(
      asker, serf_wire::Encode(serf_wire::QueryResponse{.ltime = q.ltime,
                                                        .id = q.id,
                                                        .from = config_.node_name,
                                                        .flags = 0,
                                                        .payload = std::move(payload)}));
}

// ------------------------------------------------------- delegate

std::string Serf::NodeMeta() {
  return serf_wire::EncodeTags(config_.tags);
}

void Serf::NotifyMsg(std::string_view buf) {
  if (buf.empty()) return;
  const auto type = static_cast<SMsg>(static_cast<std::uint8_t>(buf[0]));
  const std::string_view body = buf.substr(1);
  bool rebroadcast = false;
  BroadcastQueue* queue = &broadcasts_;
  auto bad = [&](const Status& s) {
    Log()->warn("error decoding serf message type {}: {}", static_cast<int>(type), s.message());
  };
  switch (type) {
    case SMsg::kLeave: {
      auto m = serf_wire::DecodeBody<serf_wire::Leave>(body);
      if (!m.ok()) return bad(m.status());
      rebroadcast = HandleLeaveIntent(*m);
      break;
    }
    case SMsg::kJoin: {
      auto m = serf_wire::DecodeBody<serf_wire::Join>(body);
      if (!m.ok()) return bad(m.status());
      rebroadcast = HandleJoinIntent(*m);
      break;
    }
    case SMsg::kUserEvent: {
      auto m = serf_wire::DecodeBody<serf_wire::UserEvent>(body);
      if (!m.ok()) return bad(m.status());
      rebroadcast = HandleUserEvent(*m);
      queue = &event_broadcasts_;
      break;
    }
    case SMsg::kQuery: {
      auto m = serf_wire::DecodeBody<serf_wire::Query>(body);
      if (!m.ok()) return bad(m.status());
      rebroadcast = HandleQuery(*m);
      queue = &query_broadcasts_;
      break;
    }
    case SMsg::kQueryResponse:
      return;  // ckron sends no queries of its own
    case SMsg::kRelay: {
      msgpack::Reader r(body);
      serf_wire::RelayHeader h;
      if (Status s = serf_wire::Decode(r, &h); !s.ok()) return bad(s);
      if (h.dest_ip.size() != 4 && h.dest_ip.size() != 16) return;
      memberlist_->SendToAddress(Address{NormalizeIp(h.dest_ip), h.dest_port}, r.rest());
      return;
    }
    default:
      Log()->warn("received serf message of unknown type {}", static_cast<int>(type));
      return;
  }
  if (rebroadcast) QueueBroadcast(*queue, std::string(buf));
}

std::vector<std::string> Serf::GetBroadcasts(int overhead, int limit, int sent_below) {
  const int n = memberlist_->NumAliveEstimate();
  std::vector<std::string> out = broadcasts_.Get(overhead, limit, n, sent_below);
  int used = 0;
  for (const auto& m : out) used += static_cast<int>(m.size()) + overhead;
  for (BroadcastQueue* q : {&query_broadcasts_, &event_broadcasts_}) {
    for (auto& m : q->Get(overhead, limit - used, n, sent_below)) {
      used += static_cast<int>(m.size()) + overhead;
      out.push_back(std::move(m));
    }
  }
  return out;
}

bool Serf::HasFreshBroadcasts() {
  return broadcasts_.HasFresh() || event_broadcasts_.HasFresh() || query_broadcasts_.HasFresh();
}

std::string Serf::LocalState(bool) {
  serf_wire::PushPull pp;
  pp.ltime = clock_.Time();
  for (const auto& [name, m] : members_) pp.status_ltimes[name] = m.status_ltime;
  pp.left_members = left_;
  pp.event_ltime = event_clock_.Time();
  for (const auto& slot : event_buffer_) {
    if (slot.used) pp.events.push_back({slot.ltime, slot.events});
  }
  pp.query_ltime = query_clock_.Time();
  return serf_wire::Encode(pp);
}

// serf delegate.go MergeRemoteState.
void Serf::MergeRemoteState(std::string_view buf, bool join) {
  if (buf.empty() || static_cast<SMsg>(static_cast<std::uint8_t>(buf[0])) != SMsg::kPushPull) {
    Log()->error("remote serf state has a bad type prefix");
    return;
  }
  auto pp = serf_wire::DecodeBody<serf_wire::PushPull>(buf.substr(1));
  if (!pp.ok()) {
    Log()->error("failed to decode remote serf state: {}", pp.status().message());
    return;
  }
  if (pp->ltime > 0) clock_.Witness(pp->ltime - 1);
  if (pp->event_ltime > 0) event_clock_.Witness(pp->event_ltime - 1);
  if (pp->query_ltime > 0) query_clock_.Witness(pp->query_ltime - 1);
  std::set<std::string, std::less<>> left(pp->left_members.begin(), pp->left_members.end());
  for (const auto& name : pp->left_members) {
    auto t = pp->status_ltimes.find(name);
    HandleLeaveIntent(serf_wire::Leave{.ltime = (t == pp->status_ltimes.end() ? 0 : t->second) + 1,
                                       .node = name});
  }
  for (const auto& [name, t] : pp->status_ltimes) {
    if (!left.count(name)) HandleJoinIntent(serf_wire::Join{.ltime = t, .node = name}, true);
  }
  // Serf's agent joins with "ignore old events" off: replay what we missed,
  // de-duplicated by the ring.
  (void)join;
  for (const auto& evs : pp->events) {
    for (const auto& e : evs.events) {
      HandleUserEvent(
          serf_wire::UserEvent{.ltime = evs.ltime, .name = e.name, .payload = e.payload});
    }
  }
}

// ------------------------------------------------------- housekeeping

void Serf::EraseNode(const std::string& name) {
  auto it = members_.find(name);
  if (it == members_.end()) return;
  Member m = it->second.member;
  members_.erase(it);
  std::erase(failed_, name);
  std::erase(left_, name);
  Log()->info("EventMemberReap: {}", name);
  Emit(SerfEvent::Type::kMemberReap, m);
}

void Serf::Reap() {
  const Nanos now = env_.Now();
  auto reap = [&](std::vector<std::string>& list, Nanos timeout) {
    std::vector<std::string> gone;
    for (const auto& name : list) {
      auto it = members_.find(name);
      if (it == members_.end() || now - it->second.leave_time > timeout) gone.push_back(name);
    }
    for (const auto& name : gone) EraseNode(name);
  };
  reap(failed_, config_.reconnect_timeout);
  reap(left_, config_.tombstone_timeout);
  std::erase_if(recent_intents_, [&](const auto& kv) {
    return now - kv.second.wall > config_.recent_intent_timeout;
  });
}

// serf.go reconnect: with probability failed/alive, try to rejoin one
// failed member, so a healed partition merges again.
void Serf::Reconnect() {
  if (failed_.empty()) return;
  const double failed = static_cast<double>(failed_.size());
  double alive = static_cast<double>(members_.size() - failed_.size() - left_.size());
  if (alive <= 0) alive = 1;
  const double roll = static_cast<double>(env_.Random() % 1'000'000) / 1e6;
  if (roll > failed / alive) return;
  const std::string& name = failed_[static_cast<std::size_t>(RandomBelow(env_, failed_.size()))];
  auto it = members_.find(name);
  if (it == members_.end()) return;
  Log()->info("attempting reconnect to {} {}", name, it->second.member.addr.ToString());
  memberlist_->Join({it->second.member.addr}, [](int, Status) {});
}

}  // namespace ckron::membership
