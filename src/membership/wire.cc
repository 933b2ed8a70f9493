#include "membership/wire.h"

#include <zlib.h>

#include <limits>

#include "membership/lzw.h"

namespace ckron::membership::wire {
namespace {

using msgpack::Reader;
using msgpack::Writer;

Status Invalid(std::string what) {
  return Status::InvalidArgument("wire: " + std::move(what));
}

using msgpack::DecodeStruct;
using msgpack::ReadUintInto;
Status ReadStr(Reader& r, std::string* out) {
  return msgpack::ReadString(r, out);
}

// []uint8 is a byte slice to go-msgpack (raw); accept an int array too.
Status ReadVsn(Reader& r, std::vector<std::uint8_t>* out) {
  CKRON_ASSIGN_OR_RETURN(msgpack::Type t, r.Peek());
  out->clear();
  if (t == msgpack::Type::kArray) {
    CKRON_ASSIGN_OR_RETURN(std::uint32_t n, r.ReadArrayHeader());
    for (std::uint32_t i = 0; i < n; ++i) {
      std::uint8_t v = 0;
      CKRON_RETURN_IF_ERROR(ReadUintInto(r, &v));
      if (out->size() < 16) out->push_back(v);
    }
    return OkStatus();
  }
  CKRON_ASSIGN_OR_RETURN(std::string_view v, r.ReadRaw());
  if (v.size() > 16) return Invalid("version vector too long");
  out->assign(v.begin(), v.end());
  return OkStatus();
}

std::string_view VsnBytes(const std::vector<std::uint8_t>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

std::string Start(MsgType t) {
  return std::string(1, static_cast<char>(t));
}

void EncodePushNode(Writer& w, const PushNodeState& n) {
  w.MapHeader(7);
  w.Raw("Name");
  w.Raw(n.name);
  w.Raw("Addr");
  w.Raw(n.addr);
  w.Raw("Port");
  w.Uint(n.port);
  w.Raw("Meta");
  w.Raw(n.meta);
  w.Raw("Incarnation");
  w.Uint(n.incarnation);
  w.Raw("State");
  w.Uint(static_cast<std::uint8_t>(n.state));
  w.Raw("Vsn");
  w.Raw(VsnBytes(n.vsn));
}

}  // namespace

// ----------------------------------------------------------------- encoders

std::string Encode(const Ping& m) {
  std::string out = Start(MsgType::kPing);
  Writer w(&out);
  const bool src_addr = !m.source_addr.empty(), src_port = m.source_port != 0,
             src_node = !m.source_node.empty();
  w.MapHeader(2u + src_addr + src_port + src_node);
  w.Raw("SeqNo");
  w.Uint(m.seq_no);
  w.Raw("Node");
  w.Raw(m.node);
  if (src_addr) {
    w.Raw("SourceAddr");
    w.Raw(m.source_addr);
  }
  if (src_port) {
    w.Raw("SourcePort");
    w.Uint(m.source_port);
  }
  if (src_node) {
    w.Raw("SourceNode");
    w.Raw(m.source_node);
  }
  return out;
}

std::string Encode(const IndirectPing& m) {
  std::string out = Start(MsgType::kIndirectPing);
  Writer w(&out);
  const bool src_addr = !m.source_addr.empty(), src_port = m.source_port != 0,
             src_node = !m.source_node.empty();
  w.MapHeader(5u + src_addr + src_port + src_node);
  w.Raw("SeqNo");
  w.Uint(m.seq_no);
  w.Raw("Target");
  w.Raw(m.target);
  w.Raw("Port");
  w.Uint(m.port);
  w.Raw("Node");
  w.Raw(m.node);
  w.Raw("Nack");
  w.Bool(m.nack);
  if (src_addr) {
    w.Raw("SourceAddr");
    w.Raw(m.source_addr);
  }
  if (src_port) {
    w.Raw("SourcePort");
    w.Uint(m.source_port);
  }
  if (src_node) {
    w.Raw("SourceNode");
    w.Raw(m.source_node);
  }
  return out;
}

std::string Encode(const Ack& m) {
  std::string out = Start(MsgType::kAck);
  Writer w(&out);
  w.MapHeader(2);
  w.Raw("SeqNo");
  w.Uint(m.seq_no);
  w.Raw("Payload");
  if (m.payload.empty())
    w.Nil();
  else
    w.Raw(m.payload);
  return out;
}

std::string Encode(const Nack& m) {
  std::string out = Start(MsgType::kNack);
  Writer w(&out);
  w.MapHeader(1);
  w.Raw("SeqNo");
  w.Uint(m.seq_no);
  return out;
}

std::string Encode(const ErrResp& m) {
  std::string out = Start(MsgType::kErr);
  Writer w(&out);
  w.MapHeader(1);
  w.Raw("Error");
  w.Raw(m.error);
  return out;
}

std::string Encode(const Suspect& m) {
  std::string out = Start(MsgType::kSuspect);
  Writer w(&out);
  w.MapHeader(3);
  w.Raw("Incarnation");
  w.Uint(m.incarnation);
  w.Raw("Node");
  w.Raw(m.node);
  w.Raw("From");
  w.Raw(m.from);
  return out;
}

std::string Encode(const Alive& m) {
  std::string out = Start(MsgType::kAlive);
  Writer w(&out);
  w.MapHeader(6);
  w.Raw("Incarnation");
  w.Uint(m.incarnation);
  w.Raw("Node");
  w.Raw(m.node);
  w.Raw("Addr");
  w.Raw(m.addr);
  w.Raw("Port");
  w.Uint(m.port);
  w.Raw("Meta");
  w.Raw(m.meta);
  w.Raw("Vsn");
  w.Raw(VsnBytes(m.vsn));
  return out;
}

std::string Encode(const Dead& m) {
  std::string out = Start(MsgType::kDead);
  Writer w(&out);
  w.MapHeader(3);
  w.Raw("Incarnation");
  w.Uint(m.incarnation);
  w.Raw("Node");
  w.Raw(m.node);
  w.Raw("From");
  w.Raw(m.from);
  return out;
}

std::string Encode(const PushPull& m) {
  std::string out = Start(MsgType::kPushPull);
  Writer w(&out);
  w.MapHeader(3);
  w.Raw("Nodes");
  w.Uint(m.nodes.size());
  w.Raw("UserStateLen");
  w.Uint(m.user_state.size());
  w.Raw("Join");
  w.Bool(m.join);
  for (const auto& n : m.nodes) EncodePushNode(w, n);
  out += m.user_state;
  return out;
}

std::string EncodeStreamUser(std::string_view payload) {
  std::string out = Start(MsgType::kUser);
  Writer w(&out);
  w.MapHeader(1);
  w.Raw("UserMsgLen");
  w.Uint(payload.size());
  out += payload;
  return out;
}

// ----------------------------------------------------------------- decoders

Status Decode(Reader& r, Ping* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "SeqNo") return ReadUintInto(r, &m->seq_no);
    if (k == "Node") return ReadStr(r, &m->node);
    if (k == "SourceAddr") return ReadStr(r, &m->source_addr);
    if (k == "SourcePort") return ReadUintInto(r, &m->source_port);
    if (k == "SourceNode") return ReadStr(r, &m->source_node);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, IndirectPing* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "SeqNo") return ReadUintInto(r, &m->seq_no);
    if (k == "Target") return ReadStr(r, &m->target);
    if (k == "Port") return ReadUintInto(r, &m->port);
    if (k == "Node") return ReadStr(r, &m->node);
    if (k == "Nack") {
      CKRON_ASSIGN_OR_RETURN(m->nack, r.ReadBool());
      return OkStatus();
    }
    if (k == "SourceAddr") return ReadStr(r, &m->source_addr);
    if (k == "SourcePort") return ReadUintInto(r, &m->source_port);
    if (k == "SourceNode") return ReadStr(r, &m->source_node);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, Ack* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "SeqNo") return ReadUintInto(r, &m->seq_no);
    if (k == "Payload") return ReadStr(r, &m->payload);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, Nack* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = k == "SeqNo";
    return *h ? ReadUintInto(r, &m->seq_no) : OkStatus();
  });
}

Status Decode(Reader& r, ErrResp* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = k == "Error";
    return *h ? ReadStr(r, &m->error) : OkStatus();
  });
}

Status Decode(Reader& r, Suspect* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "Incarnation") return ReadUintInto(r, &m->incarnation);
    if (k == "Node") return ReadStr(r, &m->node);
    if (k == "From") return ReadStr(r, &m->from);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, Dead* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "Incarnation") return ReadUintInto(r, &m->incarnation);
    if (k == "Node") return ReadStr(r, &m->node);
    if (k == "From") return ReadStr(r, &m->from);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, Alive* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "Incarnation") return ReadUintInto(r, &m->incarnation);
    if (k == "Node") return ReadStr(r, &m->node);
    if (k == "Addr") return ReadStr(r, &m->addr);
    if (k == "Port") return ReadUintInto(r, &m->port);
    if (k == "Meta") return ReadStr(r, &m->meta);
    if (k == "Vsn") return ReadVsn(r, &m->vsn);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, PushNodeState* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "Name") return ReadStr(r, &m->name);
    if (k == "Addr") return ReadStr(r, &m->addr);
    if (k == "Port") return ReadUintInto(r, &m->port);
    if (k == "Meta") return ReadStr(r, &m->meta);
    if (k == "Incarnation") return ReadUintInto(r, &m->incarnation);
    if (k == "State") {
      std::uint8_t s = 0;
      CKRON_RETURN_IF_ERROR(ReadUintInto(r, &s));
      if (s > 3) return Invalid("unknown node state");
      m->state = static_cast<NodeStateType>(s);
      return OkStatus();
    }
    if (k == "Vsn") return ReadVsn(r, &m->vsn);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, PushPullHeader* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "Nodes") {
      CKRON_ASSIGN_OR_RETURN(m->nodes, r.ReadInt());
      return OkStatus();
    }
    if (k == "UserStateLen") {
      CKRON_ASSIGN_OR_RETURN(m->user_state_len, r.ReadInt());
      return OkStatus();
    }
    if (k == "Join") {
      CKRON_ASSIGN_OR_RETURN(m->join, r.ReadBool());
      return OkStatus();
    }
    *h = false;
    return OkStatus();
  });
}

Status DecodePushPull(Reader& r, PushPull* m) {
  PushPullHeader h;
  CKRON_RETURN_IF_ERROR(Decode(r, &h));
  if (h.nodes < 0 || h.user_state_len < 0) return Invalid("negative push/pull counts");
  // Each node state is at least one byte: bound the count by what is there.
  if (static_cast<std::uint64_t>(h.nodes) > r.remaining())
    return Invalid("push/pull node count exceeds data");
  m->join = h.join;
  m->nodes.clear();
  m->nodes.reserve(static_cast<std::size_t>(h.nodes));
  for (std::int64_t i = 0; i < h.nodes; ++i) {
    PushNodeState n;
    CKRON_RETURN_IF_ERROR(Decode(r, &n));
    m->nodes.push_back(std::move(n));
  }
  if (static_cast<std::uint64_t>(h.user_state_len) > r.remaining()) {
    return Invalid("push/pull user state truncated");
  }
  m->user_state.assign(r.rest().substr(0, static_cast<std::size_t>(h.user_state_len)));
  r.set_pos(r.pos() + static_cast<std::size_t>(h.user_state_len));
  return OkStatus();
}

// ----------------------------------------------------------- packet framing

std::string MakeCompound(const std::vector<std::string>& msgs) {
  CKRON_CHECK(msgs.size() <= 255);
  std::string out;
  out.push_back(static_cast<char>(MsgType::kCompound));
  out.push_back(static_cast<char>(msgs.size()));
  for (const auto& m : msgs) {
    CKRON_CHECK(m.size() <= 0xffff);
    out.push_back(static_cast<char>(m.size() >> 8));
    out.push_back(static_cast<char>(m.size() & 0xff));
  }
  for (const auto& m : msgs) out += m;
  return out;
}

Result<std::vector<std::string_view>> SplitCompound(std::string_view body, int* truncated) {
  *truncated = 0;
  if (body.empty()) return Invalid("missing compound length byte");
  const auto n = static_cast<std::uint8_t>(body[0]);
  body.remove_prefix(1);
  if (body.size() < 2u * n) return Invalid("truncated compound length slice");
  std::vector<std::string_view> parts;
  std::string_view rest = body.substr(2u * n);
  for (unsigned i = 0; i < n; ++i) {
    const std::size_t len = static_cast<std::size_t>(static_cast<std::uint8_t>(body[2 * i]) << 8 |
                                                     static_cast<std::uint8_t>(body[2 * i + 1]));
    if (rest.size() < len) {
      *truncated = static_cast<int>(n - i);
      break;
    }
    parts.push_back(rest.substr(0, len));
    rest.remove_prefix(len);
  }
  return parts;
}

std::string Compress(std::string_view msg) {
  std::string out = Start(MsgType::kCompress);
  Writer w(&out);
  w.MapHeader(2);
  w.Raw("Algo");
  w.Uint(0);
  w.Raw("Buf");
  w.Raw(lzw::Compress(msg));
  return out;
}

Result<std::string> Decompress(std::string_view body, std::size_t max_out) {
  Reader r(body);
  std::int64_t algo = -1;
  std::string_view buf;
  CKRON_RETURN_IF_ERROR(DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "Algo") {
      CKRON_ASSIGN_OR_RETURN(algo, r.ReadInt());
      return OkStatus();
    }
    if (k == "Buf") {
      CKRON_ASSIGN_OR_RETURN(buf, r.ReadRaw());
      return OkStatus();
    }
    *h = false;
    return OkStatus();
  }));
  if (algo != 0) return Invalid("unknown compression algorithm " + std::to_string(algo));
  return lzw::Decompress(buf, max_out);
}

std::string AddCrc(std::string_view msg) {
  const auto crc = static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(msg.data()), static_cast<uInt>(msg.size())));
  std::string out = Start(MsgType::kHasCrc);
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(crc >> (8 * i)));
  out += msg;
  return out;
}

std::string SealPacket(std::string msg, const Keyring& keyring, bool compress, bool crc) {
  if (compress) {
    std::string c = Compress(msg);
    if (c.size() < msg.size()) msg = std::move(c);
  }
  if (crc) msg = AddCrc(msg);
  if (keyring.enabled()) msg = keyring.Seal(msg, {});
  return msg;
}

namespace {

Status OpenCommand(std::string_view buf, const Limits& limits, int depth, const LeafFn& fn) {
  if (buf.empty()) return Invalid("empty message");
  if (depth > limits.max_nesting) return Invalid("messages nested too deep");
  const auto type = static_cast<MsgType>(static_cast<std::uint8_t>(buf[0]));
  const std::string_view body = buf.substr(1);
  switch (type) {
    case MsgType::kCompound: {
      int truncated = 0;
      CKRON_ASSIGN_OR_RETURN(auto parts, SplitCompound(body, &truncated));
      Status first_error;
      for (auto p : parts) {
        Status s = OpenCommand(p, limits, depth + 1, fn);
        if (!s.ok() && first_error.ok()) first_error = s;
      }
      if (!first_error.ok()) return first_error;
      if (truncated > 0)
        return Invalid("compound had " + std::to_string(truncated) + " truncated parts");
      return OkStatus();
    }
    case MsgType::kCompress: {
      CKRON_ASSIGN_OR_RETURN(std::string plain, Decompress(body, limits.max_decompressed));
      return OpenCommand(plain, limits, depth + 1, fn);
    }
    case MsgType::kPing:
    case MsgType::kIndirectPing:
    case MsgType::kAck:
    case MsgType::kNack:
    case MsgType::kSuspect:
    case MsgType::kAlive:
    case MsgType::kDead:
    case MsgType::kUser:
      fn(type, body);
      return OkStatus();
    default:
      return Invalid("message type " + std::to_string(static_cast<int>(type)) +
                     " not supported in a packet");
  }
}

}  // namespace

Status OpenPacket(std::string_view packet, const Keyring& keyring, const Limits& limits,
                  const LeafFn& fn) {
  if (packet.size() > limits.max_packet) return Status::ResourceExhausted("wire: packet too large");
  std::string plain;
  if (keyring.enabled()) {
    CKRON_ASSIGN_OR_RETURN(plain, keyring.Open(packet, {}));
    packet = plain;
  }
  if (packet.empty()) return Invalid("empty packet");
  if (static_cast<MsgType>(static_cast<std::uint8_t>(packet[0])) == MsgType::kHasCrc) {
    if (packet.size() < 5) return Invalid("truncated checksum");
    std::uint32_t want = 0;
    for (int i = 1; i <= 4; ++i)
      want = want << 8 | static_cast<std::uint8_t>(packet[static_cast<std::size_t>(i)]);
    const std::string_view rest = packet.substr(5);
    const auto got = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(rest.data()), static_cast<uInt>(rest.size())));
    if (got != want) return Invalid("invalid checksum");
    packet = rest;
  }
  return OpenCommand(packet, limits, 0, fn);
}

// ----------------------------------------------------------- stream framing

Result<std::optional<std::size_t>> StreamFrameLength(std::string_view buf, const Limits& limits) {
  using Out = std::optional<std::size_t>;
  if (buf.empty()) return Out();
  const auto type = static_cast<MsgType>(static_cast<std::uint8_t>(buf[0]));
  if (type == MsgType::kEncrypt) {
    if (buf.size() < 5) return Out();
    std::uint64_t len = 0;
    for (int i = 1; i <= 4; ++i)
      len = len << 8 | static_cast<std::uint8_t>(buf[static_cast<std::size_t>(i)]);
    if (len > limits.max_stream)
      return Status::ResourceExhausted("wire: remote state is larger than limit");
    if (buf.size() < 5 + len) return Out();
    return Out(5 + static_cast<std::size_t>(len));
  }
  if (buf.size() > limits.max_stream)
    return Status::ResourceExhausted("wire: stream message too large");
  Reader r(buf.substr(1));
  auto done = [&](const Status& s) -> Result<Out> {
    if (msgpack::IsTruncated(s)) return Out();
    if (!s.ok()) return s;
    return Out(1 + r.pos());
  };
  switch (type) {
    case MsgType::kCompress:
    case MsgType::kPing:
    case MsgType::kAck:
    case MsgType::kNack:
    case MsgType::kErr:
      return done(r.Skip());
    case MsgType::kUser: {
      std::int64_t len = -1;
      Status s = DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
        *h = k == "UserMsgLen";
        if (!*h) return OkStatus();
        CKRON_ASSIGN_OR_RETURN(len, r.ReadInt());
        return OkStatus();
      });
      if (!s.ok()) return done(s);
      if (len < 0 || static_cast<std::uint64_t>(len) > limits.max_stream)
        return Invalid("bad user message length");
      if (r.remaining() < static_cast<std::uint64_t>(len)) return Out();
      return Out(1 + r.pos() + static_cast<std::size_t>(len));
    }
    case MsgType::kPushPull: {
      PushPullHeader h;
      Status s = Decode(r, &h);
      if (!s.ok()) return done(s);
      if (h.nodes < 0 || h.user_state_len < 0 ||
          static_cast<std::uint64_t>(h.user_state_len) > limits.max_stream ||
          static_cast<std::uint64_t>(h.nodes) > limits.max_stream) {
        return Invalid("bad push/pull header");
      }
      for (std::int64_t i = 0; i < h.nodes; ++i) {
        Status si = r.Skip();
        if (!si.ok()) return done(si);
      }
      if (r.remaining() < static_cast<std::uint64_t>(h.user_state_len)) return Out();
      return Out(1 + r.pos() + static_cast<std::size_t>(h.user_state_len));
    }
    default:
      return Invalid("message type " + std::to_string(static_cast<int>(type)) +
                     " not supported on a stream");
  }
}

std::string SealStream(std::string_view msg, const Keyring& keyring, bool compress) {
  std::string out(msg);
  if (compress) out = Compress(out);
  if (!keyring.enabled()) return out;
  const std::size_t sealed_len = out.size() + Keyring::kOverheadV1;
  std::string header = Start(MsgType::kEncrypt);
  for (int i = 3; i >= 0; --i) header.push_back(static_cast<char>(sealed_len >> (8 * i)));
  return header + keyring.Seal(out, header);
}

Result<std::string> OpenStream(std::string_view frame, const Keyring& keyring,
                               const Limits& limits) {
  if (frame.empty()) return Invalid("empty stream");
  std::string plain;
  const auto type = static_cast<MsgType>(static_cast<std::uint8_t>(frame[0]));
  if (type == MsgType::kEncrypt) {
    if (!keyring.enabled()) {
      return Status::Unavailable("Remote state is encrypted and encryption is not configured");
    }
    if (frame.size() < 5) return Invalid("truncated encrypted stream");
    CKRON_ASSIGN_OR_RETURN(plain, keyring.Open(frame.substr(5), frame.substr(0, 5)));
  } else if (keyring.enabled()) {
    return Status::Unavailable("Encryption is configured but remote state is not encrypted");
  } else {
    plain.assign(frame);
  }
  if (plain.empty()) return Invalid("empty stream message");
  if (static_cast<MsgType>(static_cast<std::uint8_t>(plain[0])) == MsgType::kCompress) {
    CKRON_ASSIGN_OR_RETURN(std::string inner,
                           Decompress(std::string_view(plain).substr(1), limits.max_stream));
    plain = std::move(inner);
    if (plain.empty()) return Invalid("empty stream message");
  }
  return plain;
}

}  // namespace ckron::membership::wire
