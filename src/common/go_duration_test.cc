#include "common/go_duration.h"

#include <gtest/gtest.h>

namespace ckron {
namespace {

absl::Duration Must(std::string_view s) {
  auto r = ParseGoDuration(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.value_or(absl::ZeroDuration());
}

// Cases taken from the behaviour of Go's time.ParseDuration.
TEST(ParseGoDuration, AcceptsGoSyntax) {
  EXPECT_EQ(Must("0"), absl::ZeroDuration());
  EXPECT_EQ(Must("5s"), absl::Seconds(5));
  EXPECT_EQ(Must("30s"), absl::Seconds(30));
  EXPECT_EQ(Must("1478s"), absl::Seconds(1478));
  EXPECT_EQ(Must("-5s"), absl::Seconds(-5));
  EXPECT_EQ(Must("+5s"), absl::Seconds(5));
  EXPECT_EQ(Must("-0"), absl::ZeroDuration());
  EXPECT_EQ(Must("5.6s"), absl::Milliseconds(5600));
  EXPECT_EQ(Must("5.s"), absl::Seconds(5));
  EXPECT_EQ(Must(".5s"), absl::Milliseconds(500));
  EXPECT_EQ(Must("1.0s"), absl::Seconds(1));
  EXPECT_EQ(Must("1.004s"), absl::Milliseconds(1004));
  EXPECT_EQ(Must("100.00100s"), absl::Milliseconds(100001));
  EXPECT_EQ(Must("10ns"), absl::Nanoseconds(10));
  EXPECT_EQ(Must("11us"), absl::Microseconds(11));
  EXPECT_EQ(Must("12\xC2\xB5s"), absl::Microseconds(12));
  EXPECT_EQ(Must("12\xCE\xBCs"), absl::Microseconds(12));
  EXPECT_EQ(Must("13ms"), absl::Milliseconds(13));
  EXPECT_EQ(Must("15m"), absl::Minutes(15));
  EXPECT_EQ(Must("16h"), absl::Hours(16));
  EXPECT_EQ(Must("3h30m"), absl::Hours(3) + absl::Minutes(30));
  EXPECT_EQ(Must("10.5s4m"), absl::Minutes(4) + absl::Milliseconds(10500));
  EXPECT_EQ(Must("-2m3.4s"), -(absl::Minutes(2) + absl::Milliseconds(3400)));
  EXPECT_EQ(Must("1h2m3s4ms5us6ns"), absl::Hours(1) + absl::Minutes(2) + absl::Seconds(3) +
                                         absl::Milliseconds(4) + absl::Microseconds(5) +
                                         absl::Nanoseconds(6));
  EXPECT_EQ(Must("39h9m14.425907423s"),
            absl::Hours(39) + absl::Minutes(9) + absl::Nanoseconds(14425907423));
  EXPECT_EQ(Must("9223372036854775807ns"), absl::Nanoseconds(9223372036854775807LL));
  EXPECT_EQ(Must("-9223372036854775808ns"), absl::Nanoseconds(INT64_MIN));
}

TEST(ParseGoDuration, RejectsWithGoMessages) {
  struct Case {
    const char* in;
    const char* message;
  } cases[] = {
      {"", "invalid duration \"\""},
      {"3", "missing unit in duration \"3\""},
      {"-", "invalid duration \"-\""},
      {"s", "invalid duration \"s\""},
      {".", "invalid duration \".\""},
      {"-.", "invalid duration \"-.\""},
      {".s", "invalid duration \".s\""},
      {"+.s", "invalid duration \"+.s\""},
      {"1d", "unknown unit \"d\" in duration \"1d\""},
      {"1.1.1s", "missing unit in duration \"1.1.1s\""},
      {"9223372036854775808ns", "invalid duration \"9223372036854775808ns\""},
      {"9223372036854775.808us", "invalid duration \"9223372036854775.808us\""},
      {"3000000h", "invalid duration \"3000000h\""},
  };
  for (const auto& c : cases) {
    auto r = ParseGoDuration(c.in);
    ASSERT_FALSE(r.ok()) << c.in;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), c.message) << c.in;
  }
}

TEST(FormatGoDuration, MatchesGoString) {
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(1)), "1ns");
  EXPECT_EQ(FormatGoDuration(absl::Nanoseconds(1100)), "1.1\xC2\xB5s");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(2200)), "2.2ms");
  EXPECT_EQ(FormatGoDuration(absl::Milliseconds(3300)), "3.3s");
  EXPECT_EQ(FormatGoDuration(absl::Seconds(30)), "30s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(4) + absl::Seconds(5)), "4m5s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(4) + absl::Milliseconds(5001)), "4m5.001s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(5) + absl::Minutes(6) + absl::Milliseconds(7001)),
            "5h6m7.001s");
  EXPECT_EQ(FormatGoDuration(absl::Hours(24)), "24h0m0s");
  EXPECT_EQ(FormatGoDuration(absl::Minutes(8) + absl::Nanoseconds(1)), "8m0.000000001s");
  EXPECT_EQ(FormatGoDuration(-absl::Milliseconds(1500)), "-1.5s");
}

TEST(GoDuration, FormatThenParseRoundTrips) {
  for (std::int64_t ns : {1LL, 999LL, 1000LL, 123456789LL, 86400000000000LL, 3723000000001LL}) {
    const absl::Duration d = absl::Nanoseconds(ns);
    EXPECT_EQ(Must(FormatGoDuration(d)), d) << ns;
  }
}

}  // namespace
}  // namespace ckron
