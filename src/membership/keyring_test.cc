#include "membership/keyring.h"

#include <gtest/gtest.h>

namespace ckron::membership {
namespace {

TEST(Keyring, SealThenOpenWithSameKey) {
  auto ring = Keyring::FromBase64({Keyring::GenerateKey(16)});
  ASSERT_TRUE(ring.ok());
  for (std::uint8_t vsn : {std::uint8_t{0}, std::uint8_t{1}}) {
    const std::string sealed = ring->Seal("hello gossip", "aad", vsn);
    auto plain = ring->Open(sealed, "aad");
    ASSERT_TRUE(plain.ok()) << plain.status().ToString();
    EXPECT_EQ(*plain, "hello gossip");
  }
}

TEST(Keyring, OpenTriesEverySecondaryKey) {
  const std::string a = Keyring::GenerateKey(), b = Keyring::GenerateKey(24);
  auto sender = *Keyring::FromBase64({b});
  auto receiver = *Keyring::FromBase64({a, b});
  EXPECT_EQ(*receiver.Open(sender.Seal("x", ""), ""), "x");
}

TEST(Keyring, WrongKeyIsRefusedWithMemberlistsMessage) {
  auto sender = *Keyring::FromBase64({Keyring::GenerateKey()});
  auto receiver = *Keyring::FromBase64({Keyring::GenerateKey()});
  auto r = receiver.Open(sender.Seal("x", ""), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "No installed keys could decrypt the message");
}

TEST(Keyring, WrongAadIsRefused) {
  auto ring = *Keyring::FromBase64({Keyring::GenerateKey()});
  EXPECT_FALSE(ring.Open(ring.Seal("x", "one"), "two").ok());
}

TEST(Keyring, RejectsBadKeys) {
  EXPECT_FALSE(Keyring::FromBase64({"not base64!"}).ok());
  EXPECT_FALSE(Keyring::FromBase64({"YWJj"}).ok());  // 3 bytes
}

TEST(Keyring, ShortOrUnknownVersionPayloadsFailCleanly) {
  auto ring = *Keyring::FromBase64({Keyring::GenerateKey()});
  EXPECT_FALSE(ring.Open("", "").ok());
  EXPECT_FALSE(ring.Open(std::string("\x01short", 6), "").ok());
  EXPECT_FALSE(ring.Open(std::string(60, '\x07'), "").ok());
}

}  // namespace
}  // namespace ckron::membership
