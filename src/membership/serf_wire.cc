#include "membership/serf_wire.h"

#include <regex>

namespace ckron::membership::serf_wire {
namespace {

using msgpack::DecodeStruct;
using msgpack::Reader;
using msgpack::ReadString;
using msgpack::ReadUintInto;
using msgpack::Writer;

constexpr std::uint8_t kTagMagicByte = 255;

std::string Start(MsgType t) {
  return std::string(1, static_cast<char>(t));
}

Status ReadLTime(Reader& r, LamportTime* out) {
  return ReadUintInto(r, out);
}

Status ReadStringList(Reader& r, std::vector<std::string>* out) {
  CKRON_ASSIGN_OR_RETURN(std::uint32_t n, r.ReadArrayHeader());
  out->clear();
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string s;
    CKRON_RETURN_IF_ERROR(ReadString(r, &s));
    out->push_back(std::move(s));
  }
  return OkStatus();
}

Status ReadStringMap(Reader& r, std::map<std::string, std::string>* out) {
  CKRON_ASSIGN_OR_RETURN(std::uint32_t n, r.ReadMapHeader());
  for (std::uint32_t i = 0; i < n; ++i) {
    std::string k, v;
    CKRON_RETURN_IF_ERROR(ReadString(r, &k));
    CKRON_RETURN_IF_ERROR(ReadString(r, &v));
    (*out)[std::move(k)] = std::move(v);
  }
  return OkStatus();
}

void WriteStringMap(Writer& w, const std::map<std::string, std::string>& m) {
  w.MapHeader(static_cast<std::uint32_t>(m.size()));
  for (const auto& [k, v] : m) {
    w.Raw(k);
    w.Raw(v);
  }
}

Status DecodeUserEvents(Reader& r, UserEvents* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "LTime") return ReadLTime(r, &m->ltime);
    if (k == "Events") {
      CKRON_ASSIGN_OR_RETURN(std::uint32_t n, r.ReadArrayHeader());
      for (std::uint32_t i = 0; i < n; ++i) {
        UserEventEntry e;
        CKRON_RETURN_IF_ERROR(DecodeStruct(r, [&](std::string_view k2, bool* h2) -> Status {
          *h2 = true;
          if (k2 == "Name") return ReadString(r, &e.name);
          if (k2 == "Payload") return ReadString(r, &e.payload);
          *h2 = false;
          return OkStatus();
        }));
        m->events.push_back(std::move(e));
      }
      return OkStatus();
    }
    *h = false;
    return OkStatus();
  });
}

}  // namespace

std::string Encode(const Join& m) {
  std::string out = Start(MsgType::kJoin);
  Writer w(&out);
  w.MapHeader(2);
  w.Raw("LTime");
  w.Uint(m.ltime);
  w.Raw("Node");
  w.Raw(m.node);
  return out;
}

std::string Encode(const Leave& m) {
  std::string out = Start(MsgType::kLeave);
  Writer w(&out);
  w.MapHeader(3);
  w.Raw("LTime");
  w.Uint(m.ltime);
  w.Raw("Node");
  w.Raw(m.node);
  w.Raw("Prune");
  w.Bool(m.prune);
  return out;
}

std::string Encode(const UserEvent& m) {
  std::string out = Start(MsgType::kUserEvent);
  Writer w(&out);
  w.MapHeader(4);
  w.Raw("LTime");
  w.Uint(m.ltime);
  w.Raw("Name");
  w.Raw(m.name);
  w.Raw("Payload");
  w.Raw(m.payload);
  w.Raw("CC");
  w.Bool(m.cc);
  return out;
}

std::string Encode(const PushPull& m) {
  std::string out = Start(MsgType::kPushPull);
  Writer w(&out);
  w.MapHeader(6);
  w.Raw("LTime");
  w.Uint(m.ltime);
  w.Raw("StatusLTimes");
  w.MapHeader(static_cast<std::uint32_t>(m.status_ltimes.size()));
  for (const auto& [name, t] : m.status_ltimes) {
    w.Raw(name);
    w.Uint(t);
  }
  w.Raw("LeftMembers");
  w.ArrayHeader(static_cast<std::uint32_t>(m.left_members.size()));
  for (const auto& n : m.left_members) w.Raw(n);
  w.Raw("EventLTime");
  w.Uint(m.event_ltime);
  w.Raw("Events");
  w.ArrayHeader(static_cast<std::uint32_t>(m.events.size()));
  for (const auto& e : m.events) {
    w.MapHeader(2);
    w.Raw("LTime");
    w.Uint(e.ltime);
    w.Raw("Events");
    w.ArrayHeader(static_cast<std::uint32_t>(e.events.size()));
    for (const auto& ev : e.events) {
      w.MapHeader(2);
      w.Raw("Name");
      w.Raw(ev.name);
      w.Raw("Payload");
      w.Raw(ev.payload);
    }
  }
  w.Raw("QueryLTime");
  w.Uint(m.query_ltime);
  return out;
}

std::string Encode(const Query& m) {
  std::string out = Start(MsgType::kQuery);
  Writer w(&out);
  w.MapHeader(11);
  w.Raw("LTime");
  w.Uint(m.ltime);
  w.Raw("ID");
  w.Uint(m.id);
  w.Raw("Addr");
  w.Raw(m.addr);
  w.Raw("Port");
  w.Uint(m.port);
  w.Raw("SourceNode");
  w.Raw(m.source_node);
  w.Raw("Filters");
  w.ArrayHeader(static_cast<std::uint32_t>(m.filters.size()));
  for (const auto& f : m.filters) w.Raw(f);
  w.Raw("Flags");
  w.Uint(m.flags);
  w.Raw("RelayFactor");
  w.Uint(m.relay_factor);
  w.Raw("Timeout");
  w.Int(m.timeout_ns);
  w.Raw("Name");
  w.Raw(m.name);
  w.Raw("Payload");
  w.Raw(m.payload);
  return out;
}

std::string Encode(const QueryResponse& m) {
  std::string out = Start(MsgType::kQueryResponse);
  Writer w(&out);
  w.MapHeader(5);
  w.Raw("LTime");
  w.Uint(m.ltime);
  w.Raw("ID");
  w.Uint(m.id);
  w.Raw("From");
  w.Raw(m.from);
  w.Raw("Flags");
  w.Uint(m.flags);
  w.Raw("Payload");
  w.Raw(m.payload);
  return out;
}

std::string Encode(const KeyResponse& m) {
  std::string out = Start(MsgType::kKeyResponse);
  Writer w(&out);
  w.MapHeader(4);
  w.Raw("Result");
  w.Bool(m.result);
  w.Raw("Message");
  w.Raw(m.message);
  w.Raw("Keys");
  w.ArrayHeader(static_cast<std::uint32_t>(m.keys.size()));
  for (const auto& k : m.keys) w.Raw(k);
  w.Raw("PrimaryKey");
  w.Raw(m.primary_key);
  return out;
}

std::string EncodeConflictResponse(const std::optional<MemberInfo>& m) {
  std::string out = Start(MsgType::kConflictResponse);
  Writer w(&out);
  if (!m) {
    w.Nil();
    return out;
  }
  w.MapHeader(11);
  w.Raw("Name");
  w.Raw(m->name);
  w.Raw("Addr");
  w.Raw(m->addr);
  w.Raw("Port");
  w.Uint(m->port);
  w.Raw("Tags");
  WriteStringMap(w, m->tags);
  w.Raw("Status");
  w.Uint(m->status);
  static constexpr const char* kVsn[6] = {"ProtocolMin", "ProtocolMax", "ProtocolCur",
                                          "DelegateMin", "DelegateMax", "DelegateCur"};
  for (int i = 0; i < 6; ++i) {
    w.Raw(kVsn[i]);
    w.Uint(m->vsn[i]);
  }
  return out;
}

Status Decode(Reader& r, Join* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "LTime") return ReadLTime(r, &m->ltime);
    if (k == "Node") return ReadString(r, &m->node);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, Leave* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "LTime") return ReadLTime(r, &m->ltime);
    if (k == "Node") return ReadString(r, &m->node);
    if (k == "Prune") {
      CKRON_ASSIGN_OR_RETURN(m->prune, r.ReadBool());
      return OkStatus();
    }
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, UserEvent* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "LTime") return ReadLTime(r, &m->ltime);
    if (k == "Name") return ReadString(r, &m->name);
    if (k == "Payload") return ReadString(r, &m->payload);
    if (k == "CC") {
      CKRON_ASSIGN_OR_RETURN(m->cc, r.ReadBool());
      return OkStatus();
    }
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, PushPull* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "LTime") return ReadLTime(r, &m->ltime);
    if (k == "StatusLTimes") {
      CKRON_ASSIGN_OR_RETURN(std::uint32_t n, r.ReadMapHeader());
      for (std::uint32_t i = 0; i < n; ++i) {
        std::string name;
        LamportTime t = 0;
        CKRON_RETURN_IF_ERROR(ReadString(r, &name));
        CKRON_RETURN_IF_ERROR(ReadLTime(r, &t));
        m->status_ltimes[std::move(name)] = t;
      }
      return OkStatus();
    }
    if (k == "LeftMembers") return ReadStringList(r, &m->left_members);
    if (k == "EventLTime") return ReadLTime(r, &m->event_ltime);
    if (k == "Events") {
      CKRON_ASSIGN_OR_RETURN(std::uint32_t n, r.ReadArrayHeader());
      for (std::uint32_t i = 0; i < n; ++i) {
        if (r.TryNil()) continue;
        UserEvents e;
        CKRON_RETURN_IF_ERROR(DecodeUserEvents(r, &e));
        m->events.push_back(std::move(e));
      }
      return OkStatus();
    }
    if (k == "QueryLTime") return ReadLTime(r, &m->query_ltime);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, Query* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "LTime") return ReadLTime(r, &m->ltime);
    if (k == "ID") return ReadUintInto(r, &m->id);
    if (k == "Addr") return ReadString(r, &m->addr);
    if (k == "Port") return ReadUintInto(r, &m->port);
    if (k == "SourceNode") return ReadString(r, &m->source_node);
    if (k == "Filters") return ReadStringList(r, &m->filters);
    if (k == "Flags") return ReadUintInto(r, &m->flags);
    if (k == "RelayFactor") return ReadUintInto(r, &m->relay_factor);
    if (k == "Timeout") {
      CKRON_ASSIGN_OR_RETURN(m->timeout_ns, r.ReadInt());
      return OkStatus();
    }
    if (k == "Name") return ReadString(r, &m->name);
    if (k == "Payload") return ReadString(r, &m->payload);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, QueryResponse* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "LTime") return ReadLTime(r, &m->ltime);
    if (k == "ID") return ReadUintInto(r, &m->id);
    if (k == "From") return ReadString(r, &m->from);
    if (k == "Flags") return ReadUintInto(r, &m->flags);
    if (k == "Payload") return ReadString(r, &m->payload);
    *h = false;
    return OkStatus();
  });
}

Status Decode(Reader& r, RelayHeader* m) {
  return DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
    *h = true;
    if (k == "DestName") return ReadString(r, &m->dest_name);
    if (k == "DestAddr") {
      return DecodeStruct(r, [&](std::string_view k2, bool* h2) -> Status {
        *h2 = true;
        if (k2 == "IP") return ReadString(r, &m->dest_ip);
        if (k2 == "Port") return ReadUintInto(r, &m->dest_port);
        *h2 = false;
        return OkStatus();
      });
    }
    *h = false;
    return OkStatus();
  });
}

std::string EncodeTags(const std::map<std::string, std::string>& tags) {
  std::string out(1, static_cast<char>(kTagMagicByte));
  Writer w(&out);
  WriteStringMap(w, tags);
  return out;
}

Result<std::map<std::string, std::string>> DecodeTags(std::string_view meta) {
  std::map<std::string, std::string> tags;
  if (meta.empty() || static_cast<std::uint8_t>(meta[0]) != kTagMagicByte) {
    tags["role"] = std::string(meta);
    return tags;
  }
  Reader r(meta.substr(1));
  CKRON_RETURN_IF_ERROR(ReadStringMap(r, &tags));
  return tags;
}

bool QueryFiltersMatch(const std::vector<std::string>& filters, std::string_view node_name,
                       const std::map<std::string, std::string>& tags) {
  for (const auto& f : filters) {
    if (f.empty()) return false;
    Reader r(std::string_view(f).substr(1));
    if (f[0] == 0) {  // filterNode: []string
      std::vector<std::string> names;
      if (!ReadStringList(r, &names).ok()) return false;
      bool found = false;
      for (const auto& n : names) found = found || n == node_name;
      if (!found) return false;
    } else if (f[0] == 1) {  // filterTag {Tag, Expr}
      std::string tag, expr;
      Status s = DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
        *h = true;
        if (k == "Tag") return ReadString(r, &tag);
        if (k == "Expr") return ReadString(r, &expr);
        *h = false;
        return OkStatus();
      });
      if (!s.ok()) return false;
      auto it = tags.find(tag);
      if (it == tags.end()) return false;
      try {
        if (!std::regex_search(it->second, std::regex(expr, std::regex::ECMAScript))) return false;
      } catch (const std::regex_error&) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace ckron::membership::serf_wire
