#include "common/json_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace ckron {
namespace {

std::string Escaped(std::string_view s) {
  std::string out = "<";
  AppendJsonEscaped(out, s);
  return out;
}

TEST(JsonEscape, PlainRunsAreCopiedAndSpecialBytesEscaped) {
  EXPECT_EQ(Escaped(""), "<");
  EXPECT_EQ(Escaped("plain-job_1 @every 5s"), "<plain-job_1 @every 5s");
  EXPECT_EQ(Escaped("a\"b\\c"), "<a\\\"b\\\\c");
  EXPECT_EQ(Escaped("\b\f\n\r\t"), "<\\b\\f\\n\\r\\t");
  EXPECT_EQ(Escaped(std::string("x\x01y\x1f", 4)), "<x\\u0001y\\u001f");
  EXPECT_EQ(Escaped(std::string("\0", 1)), "<\\u0000");
  // Bytes >= 0x20, UTF-8 included, pass through.
  EXPECT_EQ(Escaped("caf\xc3\xa9 \x7f"), "<caf\xc3\xa9 \x7f");
  EXPECT_EQ(Escaped("\"\""), "<\\\"\\\"");
}

}  // namespace
}  // namespace ckron
