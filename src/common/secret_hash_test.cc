#include "common/secret_hash.h"

#include <gtest/gtest.h>

namespace ckron {
namespace {

TEST(SecretHash, MakeThenMatchesOnlyTheSecret) {
  auto h = SecretHash::Make("hunter2", SecretHash::kMinIterations);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_TRUE(h->Matches("hunter2"));
  EXPECT_FALSE(h->Matches("hunter3"));
  EXPECT_FALSE(h->Matches(""));
  EXPECT_FALSE(h->Matches("hunter2 "));
}

TEST(SecretHash, TextRoundTripsAndFitsAListItem) {
  auto h = SecretHash::Make("s3cret", 1234);
  ASSERT_TRUE(h.ok());
  const std::string text = h->ToString();
  EXPECT_EQ(text.rfind("pbkdf2-sha256$1234$", 0), 0u) << text;
  EXPECT_EQ(text.find_first_of(":,= \n"), std::string::npos) << text;
  auto back = SecretHash::Parse(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->iterations, 1234u);
  EXPECT_EQ(back->salt, h->salt);
  EXPECT_EQ(back->hash, h->hash);
  EXPECT_TRUE(back->Matches("s3cret"));
}

TEST(SecretHash, SaltsDiffer) {
  auto a = SecretHash::Make("same", 1000);
  auto b = SecretHash::Make("same", 1000);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->ToString(), b->ToString());
}

// RFC 7914 §11: PBKDF2-HMAC-SHA256(P="Password", S="NaCl", c=80000), the
// first 32 bytes. (Its 4-byte salt is below what Parse accepts, so the
// value is built directly.)
TEST(SecretHash, KnownAnswer) {
  SecretHash h;
  h.iterations = 80000;
  h.salt = "NaCl";
  const unsigned char want[] = {0x4d, 0xdc, 0xd8, 0xf6, 0x0b, 0x98, 0xbe, 0x21, 0x83, 0x0c, 0xee,
                                0x5e, 0xf2, 0x27, 0x01, 0xf9, 0x64, 0x1a, 0x44, 0x18, 0xd0, 0x4c,
                                0x04, 0x14, 0xae, 0xff, 0x08, 0x87, 0x6b, 0x34, 0xab, 0x56};
  h.hash.assign(reinterpret_cast<const char*>(want), sizeof(want));
  EXPECT_TRUE(h.Matches("Password"));
  EXPECT_FALSE(h.Matches("password"));
}

TEST(SecretHash, ParseRejectsEachBadPart) {
  auto good = SecretHash::Make("x", 1000);
  ASSERT_TRUE(good.ok());
  const std::string salt = good->ToString().substr(good->ToString().find('$', 14) + 1, 22);
  const std::string hash = good->ToString().substr(good->ToString().rfind('$') + 1);
  struct Case {
    std::string text, message;
  } cases[] = {
      {"", "expected pbkdf2-sha256$"},
      {"plain", "expected pbkdf2-sha256$"},
      {"scrypt$1000$" + salt + "$" + hash, "expected pbkdf2-sha256$"},
      {"pbkdf2-sha256$1000$" + salt, "expected pbkdf2-sha256$"},
      {"pbkdf2-sha256$999$" + salt + "$" + hash, "iterations"},
      {"pbkdf2-sha256$10000001$" + salt + "$" + hash, "iterations"},
      {"pbkdf2-sha256$1e3$" + salt + "$" + hash, "iterations"},
      {"pbkdf2-sha256$$" + salt + "$" + hash, "iterations"},
      {"pbkdf2-sha256$1000$!!!!$" + hash, "salt"},
      {"pbkdf2-sha256$1000$YWJj$" + hash, "salt"},  // 3 bytes
      {"pbkdf2-sha256$1000$" + salt + "==$" + hash, "salt"},
      {"pbkdf2-sha256$1000$" + salt + "$" + hash.substr(4), "hash value"},
      {"pbkdf2-sha256$1000$" + salt + "$" + hash + "$", "expected pbkdf2-sha256$"},
  };
  for (const Case& c : cases) {
    auto r = SecretHash::Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.text << " -> " << r.status().message();
  }
  EXPECT_TRUE(SecretHash::Parse("pbkdf2-sha256$1000$" + salt + "$" + hash).ok());
}

TEST(SecretHash, MakeRejectsIterationsOutOfRange) {
  EXPECT_EQ(SecretHash::Make("x", 999).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SecretHash::Make("x", SecretHash::kMaxIterations + 1).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ParseCredential, NameColonHash) {
  auto h = SecretHash::Make("pw", 1000);
  ASSERT_TRUE(h.ok());
  auto c = ParseCredential("alice:" + h->ToString());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "alice");
  EXPECT_TRUE(c->hash.Matches("pw"));
  for (const std::string& bad : {std::string("alice"), ":" + h->ToString(), std::string("bob:")}) {
    auto r = ParseCredential(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  // The message names the credential but never echoes the hash.
  const std::string secretish = "bob:pbkdf2-sha256$1000$c2FsdHNhbHQ$notahash";
  const std::string msg = ParseCredential(secretish).status().message();
  EXPECT_NE(msg.find("\"bob\""), std::string::npos) << msg;
  EXPECT_EQ(msg.find("notahash"), std::string::npos) << msg;
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_EQ(Sha256("").size(), 32u);
  EXPECT_NE(Sha256("a"), Sha256("b"));
}

}  // namespace
}  // namespace ckron
