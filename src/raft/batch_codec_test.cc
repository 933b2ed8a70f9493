#include "raft/batch_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace ckron::raft::internal {
namespace {

std::string Encode(Term term, const std::vector<std::string>& commands) {
  BatchEncoder enc;
  for (const auto& c : commands) enc.Add(c);
  std::string out(enc.EncodedSize(term), '\0');
  enc.Encode(term, reinterpret_cast<std::uint8_t*>(out.data()));
  return out;
}

TEST(Varint, RoundTripsBoundaryValues) {
  for (std::uint64_t v :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{127}, std::uint64_t{128},
        std::uint64_t{16383}, std::uint64_t{16384}, std::numeric_limits<std::uint64_t>::max()}) {
    std::uint8_t buf[10];
    const std::size_t n = static_cast<std::size_t>(PutVarint(buf, v) - buf);
    EXPECT_EQ(n, VarintSize(v));
    std::size_t pos = 0;
    std::uint64_t got = 0;
    ASSERT_TRUE(GetVarint(std::string_view(reinterpret_cast<char*>(buf), n), &pos, &got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(pos, n);
  }
}

TEST(Varint, RejectsOverlongAndTruncated) {
  const std::string overlong(11, '\x80');
  std::size_t pos = 0;
  std::uint64_t v = 0;
  EXPECT_FALSE(GetVarint(overlong, &pos, &v));
  pos = 0;
  EXPECT_FALSE(GetVarint(std::string_view("\x80", 1), &pos, &v));
}

TEST(BatchCodec, RoundTripsCommandsInOrderWithTerm) {
  const std::vector<std::string> commands = {"put a 1", "", std::string(300, 'x'), "del b"};
  const std::string entry = Encode(Term(42), commands);
  DecodedBatch d;
  ASSERT_TRUE(DecodeBatch(entry, &d).ok());
  EXPECT_EQ(d.term, Term(42));
  ASSERT_EQ(d.commands.size(), commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) EXPECT_EQ(d.commands[i], commands[i]);
}

TEST(BatchCodec, EncodedSizeIsExact) {
  BatchEncoder enc;
  enc.Add("abc");
  enc.Add(std::string(200, 'y'));
  EXPECT_EQ(enc.count(), 2u);
  EXPECT_EQ(enc.payload_bytes(), 203u);
  // format + term(1) + count(1) + len(1)+3 + len(2)+200 = 209, padded to 216
  EXPECT_EQ(enc.EncodedSize(Term(5)), 216u);
  for (int n = 1; n < 20; ++n) {
    BatchEncoder e;
    e.Add(std::string(static_cast<std::size_t>(n), 'z'));
    EXPECT_EQ(e.EncodedSize(Term(1)) % 8, 0u) << "libraft 0.15 needs 8-byte multiples";
  }
}

TEST(BatchCodec, RejectsUnknownFormat) {
  std::string entry = Encode(Term(1), {"x"});
  entry[0] = 2;
  DecodedBatch d;
  const Status st = DecodeBatch(entry, &d);
  EXPECT_EQ(st.code(), StatusCode::kInternal);
}

TEST(BatchCodec, RejectsEveryTruncation) {
  const std::string entry = Encode(Term(7), {"hello", "world"});
  for (std::size_t n = 0; n < entry.size(); ++n) {
    DecodedBatch d;
    EXPECT_FALSE(DecodeBatch(std::string_view(entry).substr(0, n), &d).ok()) << n;
    EXPECT_TRUE(d.commands.empty());
  }
}

TEST(BatchCodec, RejectsNonZeroPaddingExtraBytesAndZeroCount) {
  DecodedBatch d;
  std::string entry = Encode(Term(1), {"a"});  // 5 bytes + 3 padding
  ASSERT_EQ(entry.size(), 8u);
  entry[7] = 'z';
  EXPECT_FALSE(DecodeBatch(entry, &d).ok());
  EXPECT_FALSE(DecodeBatch(Encode(Term(1), {"a"}) + std::string(8, '\0'), &d).ok());
  const std::string zero_count("\x01\x01\x00\x00\x00\x00\x00\x00", 8);
  EXPECT_FALSE(DecodeBatch(zero_count, &d).ok());
}

}  // namespace
}  // namespace ckron::raft::internal
