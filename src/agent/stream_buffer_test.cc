#include "agent/stream_buffer.h"

#include <gtest/gtest.h>

namespace ckron::agent {
namespace {

const absl::Duration kNow = absl::ZeroDuration();

TEST(StreamBuffer, CoalescesChunksUpToTheMessageSize) {
  StreamBuffer buffer({.max_bytes = 1000, .max_message_bytes = 8});
  buffer.OnOutput("abc");
  buffer.OnOutput("def");
  buffer.OnOutput("ghij");
  auto e = buffer.Next(kNow);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->output, "abcdef");
  e = buffer.Next(kNow);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->output, "ghij");
  EXPECT_FALSE(buffer.Next(kNow));
}

TEST(StreamBuffer, FinishedComesOnlyAfterAllOutput) {
  StreamBuffer buffer({.max_bytes = 1000, .max_message_bytes = 4});
  buffer.OnOutput("12345678");
  buffer.OnFinished({.id = "x"});
  std::string out;
  std::optional<StreamBuffer::Event> e;
  while ((e = buffer.Next(kNow)) && !e->finished) out += e->output;
  ASSERT_TRUE(e);
  EXPECT_EQ(e->finished->id, "x");
  EXPECT_TRUE(e->output.empty());
  EXPECT_EQ(out, "12345678");
}

TEST(StreamBuffer, SlowReader_DropsWithACountedGapInOrder) {
  StreamBuffer buffer({.max_bytes = 4, .max_message_bytes = 1000});
  buffer.OnOutput("abcd");
  buffer.OnOutput("efg");  // full: dropped
  buffer.OnOutput("hi");   // still full: same gap
  auto e = buffer.Next(kNow);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->output, "abcd\n[ckron: 5 bytes of output dropped from this stream]\n");
  buffer.OnOutput("jk");  // room again
  e = buffer.Next(kNow);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->output, "jk");
  EXPECT_EQ(buffer.dropped_bytes(), 5u);
}

TEST(StreamBuffer, Closed_DropsEverything) {
  StreamBuffer buffer;
  buffer.OnOutput("abc");
  buffer.Close();
  buffer.OnOutput("de");
  buffer.OnFinished({.id = "x"});
  EXPECT_FALSE(buffer.Next(kNow));
  EXPECT_EQ(buffer.dropped_bytes(), 5u);
}

}  // namespace
}  // namespace ckron::agent
