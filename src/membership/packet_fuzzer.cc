// libFuzzer target: every byte sequence the gossip sockets can receive goes
// through these decoders, and then into a live node — the input arrives as
// a UDP packet and as a TCP stream at node 0 of a small converged simulated
// cluster, which then runs for a few virtual seconds (probes, suspicion
// timers, refutations, replies) and must keep its invariants. None of it may
// crash, hang or allocate without bound. Seeds: fuzz/seeds/membership_packet_fuzzer/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/log.h"
#include "membership/serf_wire.h"
#include "membership/sim_cluster.h"
#include "membership/wire.h"

using namespace ckron::membership;

namespace {

// The decoders alone, leaf by leaf.
void DecodeAll(std::string_view in) {
  const wire::Limits limits{
      .max_packet = 65536, .max_decompressed = 1 << 16, .max_stream = 1 << 20, .max_nesting = 4};
  static const Keyring none;
  (void)wire::OpenPacket(in, none, limits, [](wire::MsgType t, std::string_view body) {
    switch (t) {
      case wire::MsgType::kPing:
        (void)wire::DecodeBody<wire::Ping>(body);
        break;
      case wire::MsgType::kIndirectPing:
        (void)wire::DecodeBody<wire::IndirectPing>(body);
        break;
      case wire::MsgType::kAck:
        (void)wire::DecodeBody<wire::Ack>(body);
        break;
      case wire::MsgType::kNack:
        (void)wire::DecodeBody<wire::Nack>(body);
        break;
      case wire::MsgType::kSuspect:
        (void)wire::DecodeBody<wire::Suspect>(body);
        break;
      case wire::MsgType::kAlive: {
        auto a = wire::DecodeBody<wire::Alive>(body);
        if (a.ok()) (void)serf_wire::DecodeTags(a->meta);
        break;
      }
      case wire::MsgType::kDead:
        (void)wire::DecodeBody<wire::Dead>(body);
        break;
      case wire::MsgType::kUser:
        if (!body.empty()) {
          const auto rest = body.substr(1);
          switch (static_cast<serf_wire::MsgType>(body[0])) {
            case serf_wire::MsgType::kJoin:
              (void)serf_wire::DecodeBody<serf_wire::Join>(rest);
              break;
            case serf_wire::MsgType::kLeave:
              (void)serf_wire::DecodeBody<serf_wire::Leave>(rest);
              break;
            case serf_wire::MsgType::kUserEvent:
              (void)serf_wire::DecodeBody<serf_wire::UserEvent>(rest);
              break;
            case serf_wire::MsgType::kQuery:
              (void)serf_wire::DecodeBody<serf_wire::Query>(rest);
              break;
            case serf_wire::MsgType::kQueryResponse:
              (void)serf_wire::DecodeBody<serf_wire::QueryResponse>(rest);
              break;
            case serf_wire::MsgType::kPushPull:
              (void)serf_wire::DecodeBody<serf_wire::PushPull>(rest);
              break;
            case serf_wire::MsgType::kRelay:
              (void)serf_wire::DecodeBody<serf_wire::RelayHeader>(rest);
              break;
            default:
              break;
          }
        }
        break;
      default:
        break;
    }
  });
  auto len = wire::StreamFrameLength(in, limits);
  if (len.ok() && len->has_value()) {
    auto plain = wire::OpenStream(in.substr(0, **len), none, limits);
    if (plain.ok() && !plain->empty() &&
        (*plain)[0] == static_cast<char>(wire::MsgType::kPushPull)) {
      msgpack::Reader r(std::string_view(*plain).substr(1));
      wire::PushPull pp;
      (void)wire::DecodePushPull(r, &pp);
    }
  }
}

// A node on the receiving end: three members on a SimNetwork, converged;
// node 0 gets the bytes from node 1's address.
void Deliver(std::string_view in) {
  static const bool quiet = [] {
    ckron::logging::SetLevel(spdlog::level::off);
    return true;
  }();
  (void)quiet;
  SimCluster c(SimOptions{.seed = 1}, MemberlistConfig{});
  for (int i = 0; i < 3; ++i) c.Add(i);
  c.SeedConverged(3);
  Memberlist& m = c.node(0).memberlist();
  m.OnPacket(SimCluster::AddrOf(1), in);
  // Streams reach OnStream as one complete frame (AsioEnv::ReadFrame).
  auto len = wire::StreamFrameLength(in, m.config().limits);
  if (len.ok() && len->has_value()) (void)m.OnStream(SimCluster::AddrOf(1), in.substr(0, **len));
  c.RunFor(std::chrono::seconds(3));
  for (int i = 0; i < 3; ++i) c.node(i).memberlist().CheckInvariants();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  DecodeAll(in);
  Deliver(in);
  return 0;
}
