// libFuzzer target: every byte sequence the gossip sockets can receive goes
// through these decoders; none may crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "membership/serf_wire.h"
#include "membership/wire.h"

using namespace ckron::membership;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const wire::Limits limits{.max_packet = 65536, .max_decompressed = 1 << 16,
                            .max_stream = 1 << 20, .max_nesting = 4};
  static const Keyring none;
  (void)wire::OpenPacket(in, none, limits, [](wire::MsgType t, std::string_view body) {
    switch (t) {
      case wire::MsgType::kPing: (void)wire::DecodeBody<wire::Ping>(body); break;
      case wire::MsgType::kIndirectPing: (void)wire::DecodeBody<wire::IndirectPing>(body); break;
      case wire::MsgType::kAck: (void)wire::DecodeBody<wire::Ack>(body); break;
      case wire::MsgType::kNack: (void)wire::DecodeBody<wire::Nack>(body); break;
      case wire::MsgType::kSuspect: (void)wire::DecodeBody<wire::Suspect>(body); break;
      case wire::MsgType::kAlive: {
        auto a = wire::DecodeBody<wire::Alive>(body);
        if (a.ok()) (void)serf_wire::DecodeTags(a->meta);
        break;
      }
      case wire::MsgType::kDead: (void)wire::DecodeBody<wire::Dead>(body); break;
      case wire::MsgType::kUser:
        if (!body.empty()) {
          const auto rest = body.substr(1);
          switch (static_cast<serf_wire::MsgType>(body[0])) {
            case serf_wire::MsgType::kJoin: (void)serf_wire::DecodeBody<serf_wire::Join>(rest); break;
            case serf_wire::MsgType::kLeave: (void)serf_wire::DecodeBody<serf_wire::Leave>(rest); break;
            case serf_wire::MsgType::kUserEvent: (void)serf_wire::DecodeBody<serf_wire::UserEvent>(rest); break;
            case serf_wire::MsgType::kQuery: (void)serf_wire::DecodeBody<serf_wire::Query>(rest); break;
            case serf_wire::MsgType::kQueryResponse: (void)serf_wire::DecodeBody<serf_wire::QueryResponse>(rest); break;
            case serf_wire::MsgType::kPushPull: (void)serf_wire::DecodeBody<serf_wire::PushPull>(rest); break;
            case serf_wire::MsgType::kRelay: (void)serf_wire::DecodeBody<serf_wire::RelayHeader>(rest); break;
            default: break;
          }
        }
        break;
      default: break;
    }
  });
  auto len = wire::StreamFrameLength(in, limits);
  if (len.ok() && len->has_value()) {
    auto plain = wire::OpenStream(in.substr(0, **len), none, limits);
    if (plain.ok() && !plain->empty() && (*plain)[0] == static_cast<char>(wire::MsgType::kPushPull)) {
      msgpack::Reader r(std::string_view(*plain).substr(1));
      wire::PushPull pp;
      (void)wire::DecodePushPull(r, &pp);
    }
  }
  return 0;
}
