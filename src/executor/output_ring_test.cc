#include "executor/output_ring.h"

#include <string>

#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

TEST(OutputRing, KeepsEverythingBelowCapacity) {
  OutputRing ring(10);
  ring.Write("abc");
  ring.Write("def");
  EXPECT_EQ(ring.Contents(), "abcdef");
  EXPECT_FALSE(ring.truncated());
  EXPECT_EQ(ring.total_written(), 6u);
}

TEST(OutputRing, KeepsTheNewestBytesWhenWrapping) {
  OutputRing ring(5);
  ring.Write("abc");
  ring.Write("defg");  // wraps: "cdefg"
  EXPECT_EQ(ring.Contents(), "cdefg");
  ring.Write("h");
  EXPECT_EQ(ring.Contents(), "defgh");
  ring.Write("ijklmnop");  // larger than the ring
  EXPECT_EQ(ring.Contents(), "lmnop");
  ring.Write("q");
  EXPECT_EQ(ring.Contents(), "mnopq");
  EXPECT_TRUE(ring.truncated());
  EXPECT_EQ(ring.total_written(), 17u);
  EXPECT_EQ(ring.size(), 5u);
}

TEST(OutputRing, MatchesASimpleModelOverManyWrites) {
  OutputRing ring(97);
  std::string all;
  for (int i = 0; i < 500; ++i) {
    const std::string chunk(static_cast<std::size_t>(i % 131), static_cast<char>('a' + i % 26));
    ring.Write(chunk);
    all += chunk;
    const std::string expected = all.size() > 97 ? all.substr(all.size() - 97) : all;
    ASSERT_EQ(ring.Contents(), expected) << "after write " << i;
  }
}

TEST(OutputRing, DefaultCapacityIsDkrons) {
  OutputRing ring;
  EXPECT_EQ(ring.capacity(), 256000u);
}

TEST(FinishExecution, PutsTheErrorBeforeTheOutput) {
  const ExecutionResult r = FinishExecution({"some output", "exit status 1", 1});
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "exit status 1\nsome output");
}

TEST(FinishExecution, SuccessKeepsTheOutputAsIs) {
  const ExecutionResult r = FinishExecution({"hello\n", "", 0});
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.output, "hello\n");
}

TEST(FinishExecution, AFullOutputKeepsTheErrorAndDropsTheOldestOutput) {
  std::string output(kMaxOutputBytes, 'x');
  output.back() = 'E';
  const ExecutionResult r = FinishExecution({output, "signal: killed", std::nullopt});
  ASSERT_EQ(r.output.size(), kMaxOutputBytes);
  EXPECT_EQ(r.output.substr(0, 15), "signal: killed\n");
  EXPECT_EQ(r.output.back(), 'E');
}

TEST(FailedExecution, CarriesTheStatusMessage) {
  const ExecutionResult r =
      FailedExecution(Status::NotFound("grpc_agent: Specified executor is not present"));
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.output, "grpc_agent: Specified executor is not present");
}

}  // namespace
}  // namespace ckron::executor
