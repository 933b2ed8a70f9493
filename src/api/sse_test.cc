// SSE framing, the output delta of live streams, and the stream channel's
// bound.
#include "api/sse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/output_follower.h"
#include "api/stream_channel.h"

namespace ckron::api {
namespace {

TEST(SseEvent, NameAndOneDataLine) {
  EXPECT_EQ(SseEvent("job", "{\"a\":1}"), "event: job\ndata: {\"a\":1}\n\n");
}

TEST(SseEvent, MultiLineDataBecomesOneDataLinePerLine) {
  EXPECT_EQ(SseEvent("output", "one\ntwo\r\nthree\rfour"),
            "event: output\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
}

TEST(SseEvent, TrailingNewlineKeepsAnEmptyLastDataLine) {
  // A client joins data lines with "\n": "a\n" round-trips.
  EXPECT_EQ(SseEvent("x", "a\n"), "event: x\ndata: a\ndata: \n\n");
}

TEST(SseEvent, EmptyDataStillSendsADataLine) {
  EXPECT_EQ(SseEvent("done", ""), "event: done\ndata: \n\n");
}

TEST(SseEvent, NoNameLeavesTheEventLineOut) {
  EXPECT_EQ(SseEvent("", "x"), "data: x\n\n");
}

TEST(SseEvent, LineBreaksInTheNameCannotStartAField) {
  EXPECT_EQ(SseEvent("a\ndata: evil", "x"), "event: a data: evil\ndata: x\n\n");
}

TEST(NewOutput, GrowingOutputSendsTheNewEnd) {
  EXPECT_EQ(internal::NewOutput("", "abc"), "abc");
  EXPECT_EQ(internal::NewOutput("abc", "abcdef"), "def");
  EXPECT_EQ(internal::NewOutput("abc", "abc"), "");
}

TEST(NewOutput, DroppedOldBytesAreNotSentAgain) {
  // The live buffer dropped "ab": "cd" was sent already, "ef" is new.
  EXPECT_EQ(internal::NewOutput("abcd", "cdef"), "ef");
}

TEST(NewOutput, NoOverlapSendsEverything) {
  EXPECT_EQ(internal::NewOutput("abcd", "xyz"), "xyz");
}

TEST(StreamChannel, QueuesUntilTakenAndWakesOncePerTake) {
  int wakes = 0;
  internal::StreamChannel c(100, [&] { ++wakes; });
  EXPECT_TRUE(c.Send("ab"));
  EXPECT_TRUE(c.Send("cd"));
  EXPECT_EQ(wakes, 1);
  bool ended = true;
  EXPECT_EQ(c.Take(&ended), "abcd");
  EXPECT_FALSE(ended);
  EXPECT_TRUE(c.Send("e"));
  EXPECT_EQ(wakes, 2);
}

TEST(StreamChannel, RefusesOverTheBoundUntilWritten) {
  internal::StreamChannel c(4, [] {});
  EXPECT_TRUE(c.Send("abc"));
  EXPECT_FALSE(c.Send("de"));  // 5 bytes would wait
  bool ended = false;
  EXPECT_EQ(c.Take(&ended), "abc");
  EXPECT_FALSE(c.Send("de"));  // taken but not yet written: still counted
  c.Written(3);
  EXPECT_TRUE(c.Send("de"));
}

TEST(StreamChannel, EndQueuesTheLastBytesEvenOverTheBound) {
  internal::StreamChannel c(2, [] {});
  EXPECT_TRUE(c.Send("ab"));
  c.End("overflow");
  EXPECT_FALSE(c.Send("x"));
  bool ended = false;
  EXPECT_EQ(c.Take(&ended), "aboverflow");
  EXPECT_TRUE(ended);
}

TEST(StreamChannel, ClosedChannelRefusesAndNeverWakes) {
  int wakes = 0;
  internal::StreamChannel c(100, [&] { ++wakes; });
  c.Close();
  EXPECT_FALSE(c.Send("a"));
  c.End("b");
  EXPECT_EQ(wakes, 0);
  bool ended = false;
  EXPECT_EQ(c.Take(&ended), "");
}

}  // namespace
}  // namespace ckron::api
