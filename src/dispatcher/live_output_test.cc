#include "dispatcher/live_output.h"

#include <gtest/gtest.h>

namespace ckron::dispatcher {
namespace {

TEST(LiveOutput, KeepsTheLastChunksWithinTheBound) {
  LiveOutput live(8);
  live.Append("j", "1", "ignored");  // not open: nothing kept
  EXPECT_FALSE(live.Get("j", "1").has_value());
  live.Open("j", "1");
  live.Append("j", "1", "abc");
  live.Append("j", "1", "def");
  EXPECT_EQ(*live.Get("j", "1"), "abcdef");
  live.Append("j", "1", "ghi");  // 9 bytes: the oldest chunk goes
  EXPECT_EQ(*live.Get("j", "1"), "defghi");
  live.Append("j", "1", "0123456789");  // larger than the bound: its tail
  EXPECT_EQ(*live.Get("j", "1"), "23456789");
  live.Close("j", "1");
  EXPECT_FALSE(live.Get("j", "1").has_value());
  EXPECT_EQ(live.size(), 0u);
}

}  // namespace
}  // namespace ckron::dispatcher
