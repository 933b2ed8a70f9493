// Codec tests against bytes captured from the real serf agent (testdata/).
#include "membership/wire.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "membership/serf_wire.h"

namespace ckron::membership::wire {
namespace {

std::string ReadFile(const std::string& name) {
  std::ifstream in(std::string(CKRON_MEMBERSHIP_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

void ExpectSerfJoinState(const std::string& plain) {
  ASSERT_FALSE(plain.empty());
  ASSERT_EQ(static_cast<MsgType>(plain[0]), MsgType::kPushPull);
  msgpack::Reader r(std::string_view(plain).substr(1));
  PushPull pp;
  ASSERT_TRUE(DecodePushPull(r, &pp).ok());
  EXPECT_TRUE(pp.join);
  ASSERT_EQ(pp.nodes.size(), 1u);
  const auto& n = pp.nodes[0];
  EXPECT_EQ(n.name, "capnode");
  EXPECT_EQ(n.port, 27003);
  EXPECT_EQ(n.state, NodeStateType::kAlive);
  ASSERT_EQ(n.vsn.size(), 6u);
  EXPECT_EQ(n.vsn[0], 1);  // memberlist protocol min
  EXPECT_EQ(n.vsn[1], 5);  // max
  EXPECT_EQ(n.vsn[2], 2);  // current
  EXPECT_EQ(n.vsn[5], 5);  // serf agent speaks delegate protocol 5
  auto tags = serf_wire::DecodeTags(n.meta);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->at("role"), "web");
  // The Serf user state: clocks, status times, a 512-slot event ring of nils.
  ASSERT_FALSE(pp.user_state.empty());
  EXPECT_EQ(pp.user_state[0], static_cast<char>(serf_wire::MsgType::kPushPull));
  auto user = serf_wire::DecodeBody<serf_wire::PushPull>(std::string_view(pp.user_state).substr(1));
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_TRUE(user->status_ltimes.count("capnode"));
}

TEST(WireCaptured, SerfJoinPushPullIsCompressedAndDecodes) {
  const std::string frame = ReadFile("pushpull.bin");
  auto len = StreamFrameLength(frame, Limits{});
  ASSERT_TRUE(len.ok());
  ASSERT_TRUE(len->has_value());
  EXPECT_EQ(**len, frame.size());
  auto plain = OpenStream(frame, Keyring(), Limits{});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ExpectSerfJoinState(*plain);
}

TEST(WireCaptured, SerfEncryptedPushPullOpensWithItsKey) {
  const std::string frame = ReadFile("pushpull_enc.bin");
  auto ring = Keyring::FromBase64({Trim(ReadFile("key.txt"))});
  ASSERT_TRUE(ring.ok());
  auto len = StreamFrameLength(frame, Limits{});
  ASSERT_TRUE(len.ok() && len->has_value());
  EXPECT_EQ(**len, frame.size());
  auto plain = OpenStream(frame, *ring, Limits{});
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  ExpectSerfJoinState(*plain);
}

TEST(WireCaptured, EncryptedStreamWithWrongOrMissingKeyIsRefused) {
  const std::string frame = ReadFile("pushpull_enc.bin");
  auto other = *Keyring::FromBase64({Keyring::GenerateKey()});
  auto wrong = OpenStream(frame, other, Limits{});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "No installed keys could decrypt the message");
  auto none = OpenStream(frame, Keyring(), Limits{});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(), "Remote state is encrypted and encryption is not configured");
  auto plain_to_encrypted = OpenStream(ReadFile("pushpull.bin"), other, Limits{});
  ASSERT_FALSE(plain_to_encrypted.ok());
}

TEST(WireCaptured, SerfGossipPacketHasCrcCompressionAndCompound) {
  std::vector<MsgType> types;
  Alive alive;
  Status s =
      OpenPacket(ReadFile("udp_0.bin"), Keyring(), Limits{}, [&](MsgType t, std::string_view body) {
        types.push_back(t);
        if (t == MsgType::kAlive) alive = *DecodeBody<Alive>(body);
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_GT(types.size(), 1u);  // several broadcasts in one compound
  EXPECT_EQ(types[0], MsgType::kAlive);
  // The rebroadcast of the fake member our capture advertised to it.
  EXPECT_EQ(alive.node, "fake");
  EXPECT_EQ(alive.port, 27002);
  EXPECT_EQ(alive.addr, std::string("\x7f\0\0\x01", 4));
  EXPECT_EQ(*serf_wire::DecodeTags(alive.meta),
            (std::map<std::string, std::string>{{"role", "x"}}));
}

TEST(WireCaptured, SerfProbeRidesInACompressedCompound) {
  Ping ping;
  int pings = 0;
  Status s =
      OpenPacket(ReadFile("udp_3.bin"), Keyring(), Limits{}, [&](MsgType t, std::string_view body) {
        if (t != MsgType::kPing) return;
        ++pings;
        ping = *DecodeBody<Ping>(body);
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(pings, 1);
  EXPECT_EQ(ping.node, "fake");
  EXPECT_EQ(ping.source_node, "capnode");
  EXPECT_EQ(ping.source_port, 27003);
}

TEST(WireCaptured, SerfSuspectPacketDecodes) {
  Suspect sus;
  int n = 0;
  Status s =
      OpenPacket(ReadFile("udp_4.bin"), Keyring(), Limits{}, [&](MsgType t, std::string_view body) {
        ++n;
        ASSERT_EQ(t, MsgType::kSuspect);
        sus = *DecodeBody<Suspect>(body);
      });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(sus.node, "fake");
  EXPECT_EQ(sus.from, "capnode");
  EXPECT_EQ(sus.incarnation, 1u);
}

TEST(WireCaptured, EveryCapturedPacketAlsoDecodesTruncatedWithoutCrash) {
  for (const char* f :
       {"udp_0.bin", "udp_3.bin", "udp_4.bin", "pushpull.bin", "pushpull_enc.bin"}) {
    const std::string b = ReadFile(f);
    for (std::size_t cut = 0; cut < b.size(); ++cut) {
      std::string_view part(b.data(), cut);
      (void)OpenPacket(part, Keyring(), Limits{}, [](MsgType, std::string_view) {});
      (void)StreamFrameLength(part, Limits{});
      (void)OpenStream(part, Keyring(), Limits{});
    }
  }
}

TEST(Wire, MessagesRoundTrip) {
  Alive a{.incarnation = 3,
          .node = "n1",
          .addr = std::string("\x7f\0\0\x01", 4),
          .port = 8946,
          .meta = serf_wire::EncodeTags({{"role", "dkron"}}),
          .vsn = {1, 5, 2, 2, 5, 4}};
  const std::string enc = Encode(a);
  ASSERT_EQ(static_cast<MsgType>(enc[0]), MsgType::kAlive);
  auto back = DecodeBody<Alive>(std::string_view(enc).substr(1));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->node, "n1");
  EXPECT_EQ(back->port, 8946);
  EXPECT_EQ(back->vsn, a.vsn);
  EXPECT_EQ(back->meta, a.meta);

  PushPull pp;
  pp.join = true;
  pp.nodes.push_back({.name = "a",
                      .addr = a.addr,
                      .port = 1,
                      .meta = "",
                      .incarnation = 9,
                      .state = NodeStateType::kSuspect,
                      .vsn = a.vsn});
  pp.user_state = "user";
  const std::string ppb = SealStream(Encode(pp), Keyring(), true);
  auto len = StreamFrameLength(ppb + "trailing", Limits{});
  ASSERT_TRUE(len.ok() && len->has_value());
  EXPECT_EQ(**len, ppb.size());
  auto plain = OpenStream(ppb, Keyring(), Limits{});
  ASSERT_TRUE(plain.ok());
  msgpack::Reader r(std::string_view(*plain).substr(1));
  PushPull got;
  ASSERT_TRUE(DecodePushPull(r, &got).ok());
  EXPECT_EQ(got.nodes[0].incarnation, 9u);
  EXPECT_EQ(got.nodes[0].state, NodeStateType::kSuspect);
  EXPECT_EQ(got.user_state, "user");
}

TEST(Wire, SealedPacketOpensThroughEveryLayer) {
  auto ring = *Keyring::FromBase64({Keyring::GenerateKey()});
  std::vector<std::string> msgs = {Encode(Ping{.seq_no = 1, .node = "x"}),
                                   Encode(Dead{.incarnation = 2, .node = "y", .from = "y"})};
  const std::string pkt = SealPacket(MakeCompound(msgs), ring, true, true);
  int n = 0;
  ASSERT_TRUE(OpenPacket(pkt, ring, Limits{}, [&](MsgType, std::string_view) { ++n; }).ok());
  EXPECT_EQ(n, 2);
  // Without the key the sealed bytes are noise: nothing decodes as a message.
  int decoded = 0;
  (void)OpenPacket(pkt, Keyring(), Limits{}, [&](MsgType t, std::string_view body) {
    if (t == MsgType::kPing && DecodeBody<Ping>(body).ok()) ++decoded;
  });
  EXPECT_EQ(decoded, 0);
}

TEST(Wire, OversizeAndNestedBombsAreRefused) {
  std::string nested = Encode(Nack{.seq_no = 1});
  for (int i = 0; i < 10; ++i) nested = Compress(nested);
  EXPECT_FALSE(OpenPacket(nested, Keyring(), Limits{}, [](MsgType, std::string_view) {}).ok());
  EXPECT_EQ(
      OpenPacket(std::string(70000, 'x'), Keyring(), Limits{}, [](MsgType, std::string_view) {})
          .code(),
      StatusCode::kResourceExhausted);
  const std::string huge("\x0a\xff\xff\xff\xff", 5);
  EXPECT_FALSE(StreamFrameLength(huge, Limits{}).ok());
}

}  // namespace
}  // namespace ckron::membership::wire
