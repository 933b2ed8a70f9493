// memberlist's wire format (hashicorp/memberlist 0.2.2, the version Debian's
// serf 0.9.4 is built with): message structs, their msgpack encodings, and
// the framing around them — compound, CRC, LZW compression and AES-GCM
// encryption on UDP packets; the unframed message sequences on TCP streams.
//
// Every message is one type byte followed by a go-msgpack map keyed by the
// Go field names (net.go). Decoders skip unknown keys, so newer peers that add
// fields still parse; they reject wrong types, oversized counts and
// truncation with a Status, and never allocate more than the input holds.
//
// Thread safety: pure functions over values.
#ifndef CKRON_MEMBERSHIP_WIRE_H_
#define CKRON_MEMBERSHIP_WIRE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "membership/keyring.h"
#include "membership/msgpack.h"

namespace ckron::membership::wire {

enum class MsgType : std::uint8_t {
  kPing = 0,
  kIndirectPing = 1,
  kAck = 2,
  kSuspect = 3,
  kAlive = 4,
  kDead = 5,
  kPushPull = 6,
  kCompound = 7,
  kUser = 8,
  kCompress = 9,
  kEncrypt = 10,
  kNack = 11,
  kHasCrc = 12,
  kErr = 13,
};

// memberlist protocol versions we understand and speak (net.go): 1..5, and we
// speak 2 like Serf 0.9 does (ProtocolVersionMap maps every Serf version to 2).
inline constexpr std::uint8_t kProtocolMin = 1;
inline constexpr std::uint8_t kProtocolMax = 5;
inline constexpr std::uint8_t kProtocolCur = 2;

// Node states as carried in push/pull (state.go NodeStateType).
enum class NodeStateType : std::uint8_t { kAlive = 0, kSuspect = 1, kDead = 2, kLeft = 3 };

struct Ping {
  std::uint32_t seq_no = 0;
  std::string node;         // intended recipient; "" = anyone
  std::string source_addr;  // omitempty
  std::uint16_t source_port = 0;
  std::string source_node;
};
struct IndirectPing {
  std::uint32_t seq_no = 0;
  std::string target;  // raw IP
  std::uint16_t port = 0;
  std::string node;
  bool nack = false;
  std::string source_addr;
  std::uint16_t source_port = 0;
  std::string source_node;
};
struct Ack {
  std::uint32_t seq_no = 0;
  std::string payload;
};
struct Nack {
  std::uint32_t seq_no = 0;
};
struct ErrResp {
  std::string error;
};
struct Suspect {
  std::uint32_t incarnation = 0;
  std::string node;
  std::string from;
};
struct Alive {
  std::uint32_t incarnation = 0;
  std::string node;
  std::string addr;  // raw IP
  std::uint16_t port = 0;
  std::string meta;
  std::vector<std::uint8_t> vsn;  // pmin pmax pcur dmin dmax dcur
};
struct Dead {
  std::uint32_t incarnation = 0;
  std::string node;
  std::string from;  // == node for a graceful leave
};
struct PushPullHeader {
  std::int64_t nodes = 0;
  std::int64_t user_state_len = 0;
  bool join = false;
};
struct PushNodeState {
  std::string name;
  std::string addr;
  std::uint16_t port = 0;
  std::string meta;
  std::uint32_t incarnation = 0;
  NodeStateType state = NodeStateType::kAlive;
  std::vector<std::uint8_t> vsn;
};
struct PushPull {
  bool join = false;
  std::vector<PushNodeState> nodes;
  std::string user_state;
};

// Encoders: [type byte][msgpack body].
std::string Encode(const Ping& m);
std::string Encode(const IndirectPing& m);
std::string Encode(const Ack& m);
std::string Encode(const Nack& m);
std::string Encode(const ErrResp& m);
std::string Encode(const Suspect& m);
std::string Encode(const Alive& m);
std::string Encode(const Dead& m);
std::string Encode(const PushPull& m);
// [kUser][userMsgHeader][payload] — a user message sent over a stream.
std::string EncodeStreamUser(std::string_view payload);

// Decoders of a message body (after the type byte).
Status Decode(msgpack::Reader& r, Ping* m);
Status Decode(msgpack::Reader& r, IndirectPing* m);
Status Decode(msgpack::Reader& r, Ack* m);
Status Decode(msgpack::Reader& r, Nack* m);
Status Decode(msgpack::Reader& r, ErrResp* m);
Status Decode(msgpack::Reader& r, Suspect* m);
Status Decode(msgpack::Reader& r, Alive* m);
Status Decode(msgpack::Reader& r, Dead* m);
Status Decode(msgpack::Reader& r, PushNodeState* m);
Status Decode(msgpack::Reader& r, PushPullHeader* m);
// A whole push/pull body (header, node states, user state).
Status DecodePushPull(msgpack::Reader& r, PushPull* m);

template <typename T>
Result<T> DecodeBody(std::string_view body) {
  msgpack::Reader r(body);
  T m;
  CKRON_RETURN_IF_ERROR(Decode(r, &m));
  return m;
}

// ----------------------------------------------------------- packet framing

struct Limits {
  std::size_t max_packet = 65536;             // a UDP datagram can't be larger
  std::size_t max_decompressed = 1 << 20;     // per compressed envelope
  std::size_t max_stream = 20 * 1024 * 1024;  // memberlist maxPushStateBytes
  int max_nesting = 4;                        // compound/compress wrappers
};

// Compound message: [kCompound][count:1][len:2 BE]*count[msgs].
// REQUIRES: msgs.size() <= 255, each message < 64 KiB.
std::string MakeCompound(const std::vector<std::string>& msgs);
// Splits a compound body (after the type byte). Parts cut off by the end of
// the packet are counted in *truncated (memberlist logs and drops them).
Result<std::vector<std::string_view>> SplitCompound(std::string_view body, int* truncated);

// [kCompress][msgpack {Algo: 0, Buf: lzw(msg)}].
std::string Compress(std::string_view msg);
// Inverse of Compress for the body after the type byte.
Result<std::string> Decompress(std::string_view body, std::size_t max_out);

// [kHasCrc][crc32 IEEE BE][msg].
std::string AddCrc(std::string_view msg);

// Outgoing packet: optional compression (kept only if smaller, as memberlist
// does), optional CRC, then encryption when the keyring is enabled.
std::string SealPacket(std::string msg, const Keyring& keyring, bool compress, bool crc);

// Incoming packet: decrypts (when the keyring is enabled; a packet no key
// opens is an error), checks the CRC, unwraps compound and compressed
// envelopes, and calls `fn` once per leaf message with its type and body.
// Errors (the packet is to be dropped and counted): kInvalidArgument for
// malformed framing, kUnavailable for a decryption failure,
// kResourceExhausted for an oversize packet or expansion. Leaves delivered
// before an error in a later compound part stay delivered.
using LeafFn = std::function<void(MsgType, std::string_view body)>;
Status OpenPacket(std::string_view packet, const Keyring& keyring, const Limits& limits,
                  const LeafFn& fn);

// ----------------------------------------------------------- stream framing
// Streams carry one message per direction, unframed unless encrypted:
// [kEncrypt][len:4 BE][sealed, AAD = the 5 header bytes].

// The byte length of the first complete message at the start of `buf`, or
// nullopt when more bytes are needed. Errors: kInvalidArgument (malformed),
// kResourceExhausted (declared size above limits.max_stream).
Result<std::optional<std::size_t>> StreamFrameLength(std::string_view buf, const Limits& limits);

// Seals one stream message: compression if asked, then encryption when the
// keyring is enabled.
std::string SealStream(std::string_view msg, const Keyring& keyring, bool compress);

// Opens one complete stream frame into plaintext [type][body...]: decrypts,
// then decompresses. Errors carry memberlist's messages for key mismatches:
// "Remote state is encrypted and encryption is not configured",
// "Encryption is configured but remote state is not encrypted",
// "No installed keys could decrypt the message".
Result<std::string> OpenStream(std::string_view frame, const Keyring& keyring,
                               const Limits& limits);

}  // namespace ckron::membership::wire

#endif  // CKRON_MEMBERSHIP_WIRE_H_
