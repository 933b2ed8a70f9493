// Messages in (packets and streams, decoded and dispatched) and messages out
// (broadcasts, sends); see memberlist.h for the map. The state transitions
// they lead to are in memberlist.cc.
#include <algorithm>

#include "common/log.h"
#include "membership/memberlist.h"

namespace ckron::membership {

namespace {
std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("gossip");
}
}  // namespace

// ------------------------------------------------------------ messages in

void Memberlist::OnPacket(const Address& from, std::string_view bytes) {
  ++counters_.packets_received;
  counters_.bytes_received += bytes.size();
  Status s =
      wire::OpenPacket(bytes, *config_.keyring, config_.limits,
                       [&](wire::MsgType t, std::string_view body) { HandleLeaf(from, t, body); });
  if (s.ok()) return;
  switch (s.code()) {
    case StatusCode::kUnavailable:
      ++counters_.packets_dropped_decrypt;
      Log()->error("decrypt packet failed: {} from={}", s.message(), from.ToString());
      break;
    case StatusCode::kResourceExhausted:
      ++counters_.packets_dropped_oversize;
      Log()->warn("dropped oversize packet from {}: {}", from.ToString(), s.message());
      break;
    default:
      ++counters_.packets_dropped_malformed;
      Log()->warn("dropped malformed packet from {}: {}", from.ToString(), s.message());
  }
}

void Memberlist::HandleLeaf(const Address& from, wire::MsgType type, std::string_view body) {
  auto malformed = [&](const Status& s) {
    ++counters_.packets_dropped_malformed;
    Log()->warn("failed to decode message type {} from {}: {}", static_cast<int>(type),
                from.ToString(), s.message());
  };
  switch (type) {
    case wire::MsgType::kPing:
      return HandlePing(from, body);
    case wire::MsgType::kIndirectPing:
      return HandleIndirectPing(from, body);
    case wire::MsgType::kAck:
      return HandleAck(body);
    case wire::MsgType::kNack:
      return HandleNack(body);
    case wire::MsgType::kSuspect: {
      auto m = wire::DecodeBody<wire::Suspect>(body);
      if (!m.ok()) return malformed(m.status());
      return SuspectNode(*m, &from);
    }
    case wire::MsgType::kAlive: {
      auto m = wire::DecodeBody<wire::Alive>(body);
      if (!m.ok()) return malformed(m.status());
      if (m->port == 0) return malformed(Status::InvalidArgument("alive without port"));
      return AliveNode(*m, nullptr, false);
    }
    case wire::MsgType::kDead: {
      auto m = wire::DecodeBody<wire::Dead>(body);
      if (!m.ok()) return malformed(m.status());
      return DeadNode(*m, &from);
    }
    case wire::MsgType::kUser:
      if (!body.empty()) delegate_.NotifyMsg(body);
      return;
    default:
      return malformed(Status::InvalidArgument("unexpected message type"));
  }
}

void Memberlist::HandlePing(const Address& from, std::string_view body) {
  auto p = wire::DecodeBody<wire::Ping>(body);
  if (!p.ok()) {
    ++counters_.packets_dropped_malformed;
    return;
  }
  if (!p->node.empty() && p->node != config_.name) {
    Log()->warn("got ping for unexpected node '{}' from {}", p->node, from.ToString());
    return;
  }
  Address to = from;
  if (!p->source_addr.empty() && p->source_port > 0)
    to = Address{NormalizeIp(p->source_addr), p->source_port};
  SendMsg(to, wire::Encode(wire::Ack{.seq_no = p->seq_no}), Find(p->source_node));
}

void Memberlist::HandleIndirectPing(const Address& from, std::string_view body) {
  auto ind = wire::DecodeBody<wire::IndirectPing>(body);
  if (!ind.ok() || (ind->target.size() != 4 && ind->target.size() != 16)) {
    ++counters_.packets_dropped_malformed;
    return;
  }
  const std::uint32_t local_seq = NextSeq();
  Address reply_to = from;
  if (!ind->source_addr.empty() && ind->source_port > 0) {
    reply_to = Address{NormalizeIp(ind->source_addr), ind->source_port};
  }
  const std::uint32_t their_seq = ind->seq_no;
  auto acked = std::make_shared<bool>(false);
  AckHandler h;
  h.on_ack = [this, acked, reply_to, their_seq](std::string_view) {
    *acked = true;
    SendMsg(reply_to, wire::Encode(wire::Ack{.seq_no = their_seq}), nullptr);
  };
  SetAckHandler(local_seq, std::move(h), config_.probe_timeout);
  const Address target{NormalizeIp(ind->target), ind->port};
  SendMsg(target,
          wire::Encode(wire::Ping{.seq_no = local_seq,
                                  .node = ind->node,
                                  .source_addr = config_.advertise.ip,
                                  .source_port = config_.advertise.port,
                                  .source_node = config_.name}),
          Find(ind->node));
  if (ind->nack) {
    std::weak_ptr<bool> tok = alive_token_;
    env_.After(config_.probe_timeout, [this, tok, acked, reply_to, their_seq] {
      if (tok.expired() || *acked) return;
      SendMsg(reply_to, wire::Encode(wire::Nack{.seq_no = their_seq}), nullptr);
    });
  }
}

void Memberlist::HandleAck(std::string_view body) {
  auto a = wire::DecodeBody<wire::Ack>(body);
  if (!a.ok()) {
    ++counters_.packets_dropped_malformed;
    return;
  }
  auto it = ack_handlers_.find(a->seq_no);
  if (it == ack_handlers_.end()) return;
  AckHandler h = std::move(it->second);
  ack_handlers_.erase(it);
  env_.Cancel(h.timer);
  if (h.on_ack) h.on_ack(a->payload);
}

void Memberlist::HandleNack(std::string_view body) {
  auto n = wire::DecodeBody<wire::Nack>(body);
  if (!n.ok()) {
    ++counters_.packets_dropped_malformed;
    return;
  }
  auto it = ack_handlers_.find(n->seq_no);
  if (it != ack_handlers_.end() && it->second.on_nack) it->second.on_nack();
}

std::string Memberlist::EncodeLocalState(bool join) {
  wire::PushPull pp;
  pp.join = join;
  pp.nodes.reserve(nodes_.size());
  for (const auto& n : nodes_) {
    pp.nodes.push_back(wire::PushNodeState{.name = n->name,
                                           .addr = n->addr.ip,
                                           .port = n->addr.port,
                                           .meta = n->meta,
                                           .incarnation = n->incarnation,
                                           .state = static_cast<wire::NodeStateType>(n->status),
                                           .vsn = VsnVec(n->vsn)});
  }
  pp.user_state = delegate_.LocalState(join);
  return wire::Encode(pp);
}

Status Memberlist::MergeRemoteState(std::string_view plain) {
  msgpack::Reader r(plain.substr(1));
  wire::PushPull pp;
  CKRON_RETURN_IF_ERROR(wire::DecodePushPull(r, &pp));
  for (const auto& n : pp.nodes) {
    if (n.port == 0 || (n.addr.size() != 4 && n.addr.size() != 16)) {
      return Status::InvalidArgument("push/pull node without address");
    }
  }
  CKRON_RETURN_IF_ERROR(VerifyProtocol(pp.nodes));
  MergeState(pp.nodes);
  if (!pp.user_state.empty()) delegate_.MergeRemoteState(pp.user_state, pp.join);
  return OkStatus();
}

std::string Memberlist::SealStream(std::string_view msg) const {
  return wire::SealStream(msg, *config_.keyring, config_.enable_compression);
}

std::optional<std::string> Memberlist::OnStream(const Address& from, std::string_view frame) {
  auto plain = wire::OpenStream(frame, *config_.keyring, config_.limits);
  if (!plain.ok()) {
    ++counters_.streams_rejected;
    if (plain.status().code() == StatusCode::kUnavailable) ++counters_.packets_dropped_decrypt;
    Log()->error("failed to receive stream from {}: {}", from.ToString(), plain.status().message());
    return SealStream(wire::Encode(wire::ErrResp{plain.status().message()}));
  }
  const auto type = static_cast<wire::MsgType>(static_cast<std::uint8_t>((*plain)[0]));
  const std::string_view body = std::string_view(*plain).substr(1);
  switch (type) {
    case wire::MsgType::kPushPull: {
      msgpack::Reader r(body);
      wire::PushPull pp;
      if (Status s = wire::DecodePushPull(r, &pp); !s.ok()) {
        ++counters_.streams_rejected;
        Log()->error("failed to read remote state from {}: {}", from.ToString(), s.message());
        return std::nullopt;
      }
      std::string reply = SealStream(EncodeLocalState(pp.join));
      if (Status s = MergeRemoteState(*plain); !s.ok()) {
        ++counters_.streams_rejected;
        Log()->error("failed push/pull merge from {}: {}", from.ToString(), s.message());
      }
      return reply;
    }
    case wire::MsgType::kPing: {
      auto p = wire::DecodeBody<wire::Ping>(body);
      if (!p.ok() || (!p->node.empty() && p->node != config_.name)) return std::nullopt;
      return SealStream(wire::Encode(wire::Ack{.seq_no = p->seq_no}));
    }
    case wire::MsgType::kUser: {
      msgpack::Reader r(body);
      std::int64_t len = -1;
      Status s = msgpack::DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
        *h = k == "UserMsgLen";
        if (!*h) return OkStatus();
        CKRON_ASSIGN_OR_RETURN(len, r.ReadInt());
        return OkStatus();
      });
      if (s.ok() && len > 0 && static_cast<std::uint64_t>(len) <= r.remaining()) {
        delegate_.NotifyMsg(r.rest().substr(0, static_cast<std::size_t>(len)));
      }
      return std::nullopt;
    }
    default:
      ++counters_.streams_rejected;
      Log()->error("received invalid stream message type {} from {}", static_cast<int>(type),
                   from.ToString());
      return std::nullopt;
  }
}

// ------------------------------------------------------------ sending

std::vector<std::string> Memberlist::GetBroadcasts(int overhead, int limit, int sent_below) {
  std::vector<std::string> out = broadcasts_.Get(overhead, limit, NumAliveEstimate(), sent_below);
  int used = 0;
  for (const auto& m : out) used += static_cast<int>(m.size()) + overhead;
  const int avail = limit - used;
  if (avail > overhead + 1) {
    for (auto& m : delegate_.GetBroadcasts(overhead + 1, avail, sent_below)) {
      out.push_back(std::string(1, static_cast<char>(wire::MsgType::kUser)) + m);
    }
  }
  return out;
}

void Memberlist::SendMsg(const Address& to, std::string msg, const NodeState* node) {
  int avail = config_.udp_buffer_size - static_cast<int>(msg.size()) - 2;
  if (config_.keyring->enabled()) avail -= static_cast<int>(Keyring::kOverheadV1);
  std::vector<std::string> extra = GetBroadcasts(2, avail);
  if (extra.empty()) return SendRaw(to, std::move(msg), node);
  extra.insert(extra.begin(), std::move(msg));
  if (extra.size() > 255) extra.resize(255);
  SendRaw(to, wire::MakeCompound(extra), node);
}

void Memberlist::SendRaw(const Address& to, std::string msg, const NodeState* node) {
  const bool crc = node != nullptr && node->vsn[1] >= 5;
  std::string pkt =
      wire::SealPacket(std::move(msg), *config_.keyring, config_.enable_compression, crc);
  ++counters_.packets_sent;
  counters_.bytes_sent += pkt.size();
  env_.SendPacket(to, std::move(pkt));
}

void Memberlist::SendToAddress(const Address& to, std::string_view user_msg) {
  std::string msg(1, static_cast<char>(wire::MsgType::kUser));
  msg += user_msg;
  SendMsg(to, std::move(msg), nullptr);
}

}  // namespace ckron::membership
