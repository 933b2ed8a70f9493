#include "membership/msgpack.h"

#include <gtest/gtest.h>

namespace ckron::membership::msgpack {
namespace {

TEST(Msgpack, RoundTripsIntegersInGoMsgpackForms) {
  std::string out;
  Writer w(&out);
  w.Uint(5);
  w.Uint(200);
  w.Uint(70000);
  w.Int(-3);
  w.Int(-200);
  EXPECT_EQ(out.substr(0, 1), "\x05");
  EXPECT_EQ(out.substr(1, 2), "\xcc\xc8");
  Reader r(out);
  EXPECT_EQ(*r.ReadUint(), 5u);
  EXPECT_EQ(*r.ReadUint(), 200u);
  EXPECT_EQ(*r.ReadUint(), 70000u);
  EXPECT_EQ(*r.ReadInt(), -3);
  EXPECT_EQ(*r.ReadInt(), -200);
  EXPECT_TRUE(r.done());
}

TEST(Msgpack, WritesStringsAsOldSpecRawNeverStr8) {
  std::string out;
  Writer w(&out);
  w.Raw(std::string(40, 'x'));
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0xda);  // str16, like go-msgpack
  Reader r(out);
  EXPECT_EQ(r.ReadRaw()->size(), 40u);
}

TEST(Msgpack, TruncatedValueIsReportedAsTruncatedAndPositionRestored) {
  std::string out;
  Writer w(&out);
  w.Raw("hello world");
  Reader r(std::string_view(out).substr(0, 5));
  auto v = r.ReadRaw();
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(IsTruncated(v.status()));
  EXPECT_EQ(r.pos(), 0u);
}

TEST(Msgpack, HugeDeclaredCountFailsWithoutAllocating) {
  const std::string evil("\xdd\xff\xff\xff\xff", 5);  // array of 4G elements
  Reader r(evil);
  auto n = r.ReadArrayHeader();
  ASSERT_FALSE(n.ok());
  EXPECT_FALSE(r.Skip().ok());
}

TEST(Msgpack, SkipRejectsDeepNesting) {
  std::string deep(100, '\x91');
  deep.push_back('\x01');
  Reader r(deep);
  EXPECT_FALSE(r.Skip().ok());
}

TEST(Msgpack, DecodeStructSkipsUnknownFields) {
  std::string out;
  Writer w(&out);
  w.MapHeader(2);
  w.Raw("Future");
  w.ArrayHeader(2);
  w.Uint(1);
  w.Raw("x");
  w.Raw("Known");
  w.Uint(7);
  Reader r(out);
  std::uint32_t known = 0;
  ASSERT_TRUE(DecodeStruct(r, [&](std::string_view k, bool* h) -> Status {
                *h = k == "Known";
                return *h ? ReadUintInto(r, &known) : OkStatus();
              }).ok());
  EXPECT_EQ(known, 7u);
}

}  // namespace
}  // namespace ckron::membership::msgpack
