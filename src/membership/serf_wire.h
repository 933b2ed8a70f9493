// Serf's messages (hashicorp/serf 0.9.4 serf/messages.go), carried inside
// memberlist user messages: one Serf type byte, then a go-msgpack map keyed
// by Go field names. Also the node-meta encoding of tags (serf.go
// encodeTags: 0xFF magic byte + msgpack map, for Serf protocol >= 3).
//
// Thread safety: pure functions over values.
#ifndef CKRON_MEMBERSHIP_SERF_WIRE_H_
#define CKRON_MEMBERSHIP_SERF_WIRE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "membership/msgpack.h"

namespace ckron::membership::serf_wire {

enum class MsgType : std::uint8_t {
  kLeave = 0,
  kJoin = 1,
  kPushPull = 2,
  kUserEvent = 3,
  kQuery = 4,
  kQueryResponse = 5,
  kConflictResponse = 6,
  kKeyRequest = 7,
  kKeyResponse = 8,
  kRelay = 9,
};

// Serf delegate protocol versions (serf.go): understands 2..5, speaks 4.
inline constexpr std::uint8_t kDelegateMin = 2;
inline constexpr std::uint8_t kDelegateMax = 5;
inline constexpr std::uint8_t kDelegateCur = 4;

inline constexpr std::uint32_t kQueryFlagAck = 1;
inline constexpr std::uint32_t kQueryFlagNoBroadcast = 2;

using LamportTime = std::uint64_t;

struct Join {
  LamportTime ltime = 0;
  std::string node;
};
struct Leave {
  LamportTime ltime = 0;
  std::string node;
  bool prune = false;
};
struct UserEvent {
  LamportTime ltime = 0;
  std::string name;
  std::string payload;
  bool cc = false;  // may be coalesced
};
struct UserEventEntry {
  std::string name;
  std::string payload;
  friend bool operator==(const UserEventEntry&, const UserEventEntry&) = default;
};
struct UserEvents {
  LamportTime ltime = 0;
  std::vector<UserEventEntry> events;
};
struct PushPull {
  LamportTime ltime = 0;
  std::map<std::string, LamportTime> status_ltimes;
  std::vector<std::string> left_members;
  LamportTime event_ltime = 0;
  std::vector<UserEvents> events;  // nil entries in Serf's ring are dropped
  LamportTime query_ltime = 0;
};
struct Query {
  LamportTime ltime = 0;
  std::uint32_t id = 0;
  std::string addr;  // raw IP of the asker, for direct responses
  std::uint16_t port = 0;
  std::string source_node;
  std::vector<std::string> filters;  // each [filter type][msgpack]
  std::uint32_t flags = 0;
  std::uint8_t relay_factor = 0;
  std::int64_t timeout_ns = 0;  // Go time.Duration
  std::string name;
  std::string payload;
};
struct QueryResponse {
  LamportTime ltime = 0;
  std::uint32_t id = 0;
  std::string from;
  std::uint32_t flags = 0;
  std::string payload;
};
// The key-management answer (internal_query.go nodeKeyResponse).
struct KeyResponse {
  bool result = false;
  std::string message;
  std::vector<std::string> keys;
  std::string primary_key;
};
// serf.Member as a conflict-query answer encodes it.
struct MemberInfo {
  std::string name;
  std::string addr;
  std::uint16_t port = 0;
  std::map<std::string, std::string> tags;
  std::uint8_t status = 0;
  std::uint8_t vsn[6] = {0, 0, 0, 0, 0, 0};
};
// Relay envelope header: where to forward the inner message.
struct RelayHeader {
  std::string dest_ip;  // raw
  std::uint16_t dest_port = 0;
  std::string dest_name;
};

std::string Encode(const Join& m);
std::string Encode(const Leave& m);
std::string Encode(const UserEvent& m);
std::string Encode(const PushPull& m);
std::string Encode(const Query& m);
std::string Encode(const QueryResponse& m);
std::string Encode(const KeyResponse& m);
// A conflict answer; nullopt encodes Go's nil *Member.
std::string EncodeConflictResponse(const std::optional<MemberInfo>& m);

Status Decode(msgpack::Reader& r, Join* m);
Status Decode(msgpack::Reader& r, Leave* m);
Status Decode(msgpack::Reader& r, UserEvent* m);
Status Decode(msgpack::Reader& r, PushPull* m);
Status Decode(msgpack::Reader& r, Query* m);
Status Decode(msgpack::Reader& r, QueryResponse* m);
Status Decode(msgpack::Reader& r, RelayHeader* m);

template <typename T>
Result<T> DecodeBody(std::string_view body) {
  msgpack::Reader r(body);
  T m;
  CKRON_RETURN_IF_ERROR(Decode(r, &m));
  return m;
}

// Node meta <-> tags. DecodeTags: a meta without the magic byte is a bare
// role (protocol < 3), like Serf. Errors: kInvalidArgument for bad msgpack.
std::string EncodeTags(const std::map<std::string, std::string>& tags);
Result<std::map<std::string, std::string>> DecodeTags(std::string_view meta);

// Query filters (serf messages.go filterType): 0 = node names, 1 = tag regexp.
// Returns true when this node should process the query. An unparsable
// filter means "not for us".
bool QueryFiltersMatch(const std::vector<std::string>& filters, std::string_view node_name,
                       const std::map<std::string, std::string>& tags);

}  // namespace ckron::membership::serf_wire

#endif  // CKRON_MEMBERSHIP_SERF_WIRE_H_
