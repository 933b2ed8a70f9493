#include "cron/schedule.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ckron::cron {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone(name, &z)) << name;
  return z;
}

absl::Time At(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.value_or(absl::UnixEpoch());
}

Schedule Must(std::string_view spec, const ParseOptions& options = {}) {
  auto s = Schedule::Parse(spec, options);
  EXPECT_TRUE(s.ok()) << spec << ": " << s.status().ToString();
  return s.ok() ? *s : *Schedule::Parse("@manually");
}

// The next `n` fire times after `from`, formatted in the schedule's zone.
std::vector<std::string> Fires(const Schedule& s, absl::Time from, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    auto next = s.Next(from);
    if (!next) break;
    EXPECT_GT(*next, from);
    out.push_back(FormatRfc3339(*next, s.zone()));
    from = *next;
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST(Parse, SixFieldsSecondsFirst) {
  Schedule s = Must("*/15 * * * * *");
  EXPECT_EQ(s.kind(), Schedule::Kind::kCron);
  EXPECT_EQ(Fires(s, At("2026-01-01T00:00:07Z"), 3),
            (Strings{"2026-01-01T00:00:15Z", "2026-01-01T00:00:30Z", "2026-01-01T00:00:45Z"}));
}

TEST(Parse, ListsRangesStepsAndNames) {
  EXPECT_EQ(Fires(Must("0 0 9-17/4 * * mon-FRI"), At("2026-11-27T10:00:00Z"), 4),
            (Strings{"2026-11-27T13:00:00Z", "2026-11-27T17:00:00Z", "2026-11-30T09:00:00Z",
                     "2026-11-30T13:00:00Z"}));
  EXPECT_EQ(Fires(Must("0 0 0 1 jan,Jul *"), At("2026-02-01T00:00:00Z"), 2),
            (Strings{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
  // "N/step" means N-max/step.
  EXPECT_EQ(Fires(Must("50/5 * * * * *"), At("2026-01-01T00:00:00Z"), 3),
            (Strings{"2026-01-01T00:00:50Z", "2026-01-01T00:00:55Z", "2026-01-01T00:01:50Z"}));
}

TEST(Parse, DayOfMonthAndDayOfWeekUseTheOrRuleWhenBothRestricted) {
  // The 1st of the month OR any Monday (robfig / Vixie rule).
  EXPECT_EQ(Fires(Must("0 0 0 1 * MON"), At("2026-11-27T00:00:00Z"), 3),
            (Strings{"2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-07T00:00:00Z"}));
  // A bare * (or ?) in one of them makes it AND: Mondays only.
  EXPECT_EQ(Fires(Must("0 0 0 ? * MON"), At("2026-11-27T00:00:00Z"), 2),
            (Strings{"2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z"}));
  // "*/2" is restricted (no star bit): OR again.
  EXPECT_EQ(Fires(Must("0 0 0 */10 * SUN"), At("2026-11-27T00:00:00Z"), 3),
            (Strings{"2026-11-29T00:00:00Z", "2026-12-01T00:00:00Z", "2026-12-06T00:00:00Z"}));
}

TEST(Parse, EveryDescriptorExpandsLikeRobfig) {
  struct Case {
    const char* spec;
    const char* expanded;
    const char* first;  // after 2026-11-27T10:20:30Z (a Friday)
    bool real_time;
  } cases[] = {
      {"@yearly", "0 0 0 1 1 *", "2027-01-01T00:00:00Z", false},
      {"@annually", "0 0 0 1 1 *", "2027-01-01T00:00:00Z", false},
      {"@monthly", "0 0 0 1 * *", "2026-12-01T00:00:00Z", false},
      {"@weekly", "0 0 0 * * 0", "2026-11-29T00:00:00Z", false},
      {"@daily", "0 0 0 * * *", "2026-11-28T00:00:00Z", false},
      {"@midnight", "0 0 0 * * *", "2026-11-28T00:00:00Z", false},
      {"@hourly", "0 0 * * * *", "2026-11-27T11:00:00Z", true},
      {"@minutely", "0 * * * * *", "2026-11-27T10:21:00Z", true},
  };
  for (const auto& c : cases) {
    Schedule s = Must(c.spec);
    EXPECT_EQ(s.expanded(), c.expanded) << c.spec;
    EXPECT_EQ(s.follows_real_time(), c.real_time) << c.spec;
    EXPECT_EQ(Fires(s, At("2026-11-27T10:20:30Z"), 1), Strings{c.first}) << c.spec;
  }
}

TEST(Parse, JobTimezoneAppliesToDescriptorsToo) {
  // Dkron runs @daily in the server's zone whatever the job says (#1031);
  // ckron runs it at midnight in the job's zone.
  Schedule s = Must("@daily", {.timezone = "America/New_York"});
  EXPECT_EQ(Fires(s, At("2026-11-27T10:00:00Z"), 2),
            (Strings{"2026-11-28T00:00:00-05:00", "2026-11-29T00:00:00-05:00"}));
}

TEST(Parse, TzPrefixOverridesTheJobTimezone) {
  for (const char* spec : {"TZ=Asia/Kolkata 0 0 9 * * *", "CRON_TZ=Asia/Kolkata 0 0 9 * * *"}) {
    Schedule s = Must(spec, {.timezone = "Europe/London"});
    EXPECT_EQ(Fires(s, At("2026-11-27T00:00:00Z"), 1), Strings{"2026-11-27T09:00:00+05:30"});
  }
  EXPECT_EQ(Fires(Must("TZ=Europe/London @daily"), At("2026-07-01T12:00:00Z"), 1),
            Strings{"2026-07-02T00:00:00+01:00"});
}

TEST(Parse, DefaultZoneIsUsedWithoutTimezone) {
  Schedule s = Must("0 0 12 * * *", {.default_zone = Zone("Asia/Tokyo")});
  EXPECT_EQ(Fires(s, At("2026-11-27T00:00:00Z"), 1), Strings{"2026-11-27T12:00:00+09:00"});
}

TEST(Every, TruncatesThenAddsLikeRobfig) {
  Schedule s = Must("@every 2s");
  EXPECT_EQ(s.kind(), Schedule::Kind::kEvery);
  EXPECT_EQ(s.Next(At("2026-01-01T00:00:00.700Z")), At("2026-01-01T00:00:02Z"));
  // Intervals round down to whole seconds, with a floor of one second.
  EXPECT_EQ(Must("@every 1500ms").interval(), absl::Seconds(1));
  EXPECT_EQ(Must("@every 100ms").interval(), absl::Seconds(1));
  EXPECT_EQ(Must("@every 1h30m").expanded(), "@every 1h30m0s");
}

TEST(Every, AnchorKeepsThePhase) {
  Schedule s = Must("@every 10m", {.every_anchor = At("2026-01-01T00:03:00Z")});
  EXPECT_EQ(s.Next(At("2026-01-01T05:00:00Z")), At("2026-01-01T05:03:00Z"));
  EXPECT_EQ(s.Next(At("2026-01-01T05:03:00Z")), At("2026-01-01T05:13:00Z"));
  // Before the anchor: the first fire is one interval after it.
  EXPECT_EQ(s.Next(At("2025-12-31T00:00:00Z")), At("2026-01-01T00:13:00Z"));
}

TEST(OneShots, AtFiresOnceThenNever) {
  Schedule s = Must("@at 2026-12-24T18:00:00+01:00");
  EXPECT_EQ(s.kind(), Schedule::Kind::kAt);
  EXPECT_EQ(s.Next(At("2026-11-27T00:00:00Z")), At("2026-12-24T17:00:00Z"));
  EXPECT_EQ(s.Next(At("2026-12-24T17:00:00Z")), std::nullopt);
}

TEST(OneShots, ManuallyNeverFires) {
  Schedule s = Must("@manually");
  EXPECT_EQ(s.kind(), Schedule::Kind::kManually);
  EXPECT_EQ(s.Next(absl::InfinitePast()), std::nullopt);
}

TEST(OneShots, AfterHonoursTheGracePeriod) {
  const char* spec = "@after 2026-01-01T00:00:00Z <PT2H";
  // Created before the date: fires at the date.
  EXPECT_EQ(Must(spec, {.created_at = At("2025-12-31T00:00:00Z")}).Next(At("2025-12-31T00:00:00Z")),
            At("2026-01-01T00:00:00Z"));
  // Created inside the grace period: once, right away (next whole second).
  Schedule late = Must(spec, {.created_at = At("2026-01-01T01:00:00.250Z")});
  EXPECT_EQ(late.Next(At("2026-01-01T01:00:00.250Z")), At("2026-01-01T01:00:01Z"));
  EXPECT_EQ(late.Next(At("2026-01-01T01:00:01Z")), std::nullopt);
  // The end of the grace period is still inside it (as Dkron).
  EXPECT_TRUE(Must(spec, {.created_at = At("2026-01-01T02:00:00Z")})
                  .Next(At("2026-01-01T02:00:00Z"))
                  .has_value());
  // Created after the grace period: never.
  EXPECT_EQ(Must(spec, {.created_at = At("2026-01-01T02:00:01Z")}).Next(absl::InfinitePast()),
            std::nullopt);
  // ISO 8601 forms Dkron accepts.
  for (const char* grace : {"<P1D", "<PT30M", "<PT1.5S", "<P1Y2M3DT4H5M6S", "<P1DT"}) {
    EXPECT_TRUE(Schedule::Parse(std::string("@after 2026-01-01T00:00:00Z ") + grace).ok()) << grace;
  }
}

TEST(NameHash, MatchesDkronFormula) {
  // dkron/job_test.go: "test_job" with "0 0 ~ * * *" becomes "0 0 18 * * *".
  EXPECT_EQ(ExpandNameHash("0 0 ~ * * *", "test_job"), "0 0 18 * * *");
  // sum("test_job") = 858: sec/min %60 = 18, hour %24 = 18, dom %28+1 = 19,
  // month %12+1 = 7, dow %7 = 4.
  EXPECT_EQ(ExpandNameHash("~ ~ ~ ~ ~ ~", "test_job"), "18 18 18 19 7 4");
  EXPECT_EQ(ExpandNameHash("TZ=UTC ~ 0 0 * * *", "test_job"), "TZ=UTC 18 0 0 * * *");
  EXPECT_EQ(ExpandNameHash("@every ~", "test_job"), "@every ~");
  EXPECT_EQ(ExpandNameHash("0 ~/15 * * * *", "a"), "0 37/15 * * * *");  // 'a' = 97
  // Unicode names sum code points, not bytes: "ß" = 223.
  EXPECT_EQ(ExpandNameHash("~ 0 0 * * *", "\xC3\x9F"), "43 0 0 * * *");
  Schedule s = Must("0 0 ~ * * *", {.job_name = "test_job"});
  EXPECT_EQ(s.expanded(), "0 0 18 * * *");
}

// A parse is remembered per thread (schedule.cc ParseCache): a repeated
// spec must still honour every option that changes its meaning.
TEST(ParseCache, RepeatedSpecsKeepTheirOptions) {
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(Must("0 0 ~ * * *", {.job_name = "test_job"}).expanded(), "0 0 18 * * *");
    EXPECT_EQ(Must("0 0 ~ * * *", {.job_name = "a"}).expanded(), "0 0 1 * * *");  // 97 % 24
    EXPECT_EQ(Must("0 0 12 * * *", {.timezone = "Europe/Berlin"}).zone().name(), "Europe/Berlin");
    EXPECT_EQ(Must("0 0 12 * * *").zone().name(), "UTC");
    EXPECT_EQ(Must("0 0 12 * * *", {.default_zone = Zone("Asia/Tokyo")}).zone().name(),
              "Asia/Tokyo");
    // @every keeps each job's anchor.
    const absl::Time a = At("2026-01-01T00:00:03Z");
    const absl::Time b = At("2026-01-01T00:00:07Z");
    EXPECT_EQ(Must("@every 10s", {.every_anchor = a}).Next(a), a + absl::Seconds(10));
    EXPECT_EQ(Must("@every 10s", {.every_anchor = b}).Next(b), b + absl::Seconds(10));
    // Errors are errors every time.
    EXPECT_FALSE(Schedule::Parse("61 * * * * *").ok());
  }
}

// --- DST: docs/semantics.md §2.2 ------------------------------------------

TEST(Dst, FixedTimeInSpringForwardGapFiresAtFirstInstantAfterIt) {
  // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT. robfig skips 02:30
  // that day (a missed nightly backup); ckron runs it at 03:00 EDT.
  Schedule s = Must("0 30 2 * * *", {.timezone = "America/New_York"});
  EXPECT_FALSE(s.follows_real_time());
  EXPECT_EQ(Fires(s, At("2024-03-09T12:00:00-05:00"), 3),
            (Strings{"2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00",
                     "2024-03-12T02:30:00-04:00"}));
  // robfig's own test case "0 30 2 11 Mar ?" (it skips to the next year).
  EXPECT_EQ(Fires(Must("0 30 2 11 Mar ?", {.timezone = "America/New_York"}),
                  At("2012-03-11T00:00:00-05:00"), 1),
            Strings{"2012-03-11T03:00:00-04:00"});
}

TEST(Dst, FixedTimesInOneGapFireOnce) {
  Schedule s = Must("0 0,15,45 2 * * *", {.timezone = "America/New_York"});
  EXPECT_EQ(Fires(s, At("2024-03-10T00:00:00-05:00"), 2),
            (Strings{"2024-03-10T03:00:00-04:00", "2024-03-11T02:00:00-04:00"}));
}

TEST(Dst, FixedTimeInRepeatedHourFiresAtFirstOccurrenceOnly) {
  // New York, 2024-11-03: 02:00 EDT falls back to 01:00 EST. robfig fires
  // 01:30 twice; ckron once, at 01:30 EDT.
  Schedule s = Must("0 30 1 * * *", {.timezone = "America/New_York"});
  EXPECT_EQ(Fires(s, At("2024-11-02T12:00:00-04:00"), 2),
            (Strings{"2024-11-03T01:30:00-04:00", "2024-11-04T01:30:00-05:00"}));
  // Starting inside the second pass does not fire the repeated time again.
  EXPECT_EQ(Fires(s, At("2024-11-03T01:10:00-05:00"), 1), Strings{"2024-11-04T01:30:00-05:00"});
}

TEST(Dst, WildcardSpecsFollowRealTime) {
  // Minute field starts with '*': every half hour of real time, so both
  // passes of the repeated hour fire and the gap fires nothing.
  Schedule s = Must("0 */30 * * * *", {.timezone = "America/New_York"});
  EXPECT_TRUE(s.follows_real_time());
  EXPECT_EQ(Fires(s, At("2024-11-03T00:15:00-04:00"), 6),
            (Strings{"2024-11-03T00:30:00-04:00", "2024-11-03T01:00:00-04:00",
                     "2024-11-03T01:30:00-04:00", "2024-11-03T01:00:00-05:00",
                     "2024-11-03T01:30:00-05:00", "2024-11-03T02:00:00-05:00"}));
  EXPECT_EQ(Fires(s, At("2024-03-10T01:15:00-05:00"), 2),
            (Strings{"2024-03-10T01:30:00-05:00", "2024-03-10T03:00:00-04:00"}));
  // Hour field starting with '*' counts too (Vixie: "0 */5 * * * *").
  EXPECT_TRUE(Must("0 5 */2 * * *").follows_real_time());
  EXPECT_FALSE(Must("0 5 2 * * *").follows_real_time());
}

TEST(Dst, LordHoweHalfHourShift) {
  // 2024-04-07 02:00 +11 falls back to 01:30 +10:30; 2024-10-06 02:00 +10:30
  // jumps to 02:30 +11.
  Schedule fixed = Must("0 45 1 * * *", {.timezone = "Australia/Lord_Howe"});
  EXPECT_EQ(Fires(fixed, At("2024-04-06T12:00:00+11:00"), 2),
            (Strings{"2024-04-07T01:45:00+11:00", "2024-04-08T01:45:00+10:30"}));
  Schedule gap = Must("0 15 2 * * *", {.timezone = "Australia/Lord_Howe"});
  EXPECT_EQ(Fires(gap, At("2024-10-05T12:00:00+10:30"), 2),
            (Strings{"2024-10-06T02:30:00+11:00", "2024-10-07T02:15:00+11:00"}));
  Schedule wild = Must("0 */15 * * * *", {.timezone = "Australia/Lord_Howe"});
  EXPECT_EQ(Fires(wild, At("2024-04-07T01:40:00+11:00"), 4),
            (Strings{"2024-04-07T01:45:00+11:00", "2024-04-07T01:30:00+10:30",
                     "2024-04-07T01:45:00+10:30", "2024-04-07T02:00:00+10:30"}));
}

TEST(Dst, ChathamQuarterHourOffset) {
  // 2024-09-29 02:45 +12:45 jumps to 03:45 +13:45.
  Schedule s = Must("0 0 3 * * *", {.timezone = "Pacific/Chatham"});
  EXPECT_EQ(Fires(s, At("2024-09-28T12:00:00+12:45"), 2),
            (Strings{"2024-09-29T03:45:00+13:45", "2024-09-30T03:00:00+13:45"}));
}

TEST(Dst, SkippedDayFiresAtTheEndOfTheGap) {
  // Samoa skipped 2011-12-30 entirely.
  Schedule s = Must("0 0 12 * * *", {.timezone = "Pacific/Apia"});
  EXPECT_EQ(Fires(s, At("2011-12-29T13:00:00-10:00"), 2),
            (Strings{"2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"}));
}

TEST(Next, IsStrictlyAfterAndIgnoresSubSeconds) {
  Schedule s = Must("* * * * * *");
  EXPECT_EQ(s.Next(At("2026-01-01T00:00:00Z")), At("2026-01-01T00:00:01Z"));
  EXPECT_EQ(s.Next(At("2026-01-01T00:00:00.999Z")), At("2026-01-01T00:00:01Z"));
  EXPECT_EQ(s.Next(At("1969-12-31T23:59:59.5Z")), At("1970-01-01T00:00:00Z"));
}

TEST(Next, LeapDaysAcrossASkippedLeapYear) {
  Schedule s = Must("0 0 0 29 2 *");
  EXPECT_EQ(Fires(s, At("2096-03-01T00:00:00Z"), 2),
            (Strings{"2104-02-29T00:00:00Z", "2108-02-29T00:00:00Z"}));
}

// --- Errors: every one names the field and the token ---------------------

TEST(Errors, NameTheFieldAndTheToken) {
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"", "schedule is empty"},
      {"   ", "schedule is empty"},
      {"0 61 * * * *", "minute field: \"61\" is out of range 0-59"},
      {"60 * * * * *", "second field: \"60\" is out of range 0-59"},
      {"0 0 24 * * *", "hour field: \"24\" is out of range 0-23"},
      {"0 0 0 0 * *", "day-of-month field: \"0\" is out of range 1-31"},
      {"0 0 0 32 * *", "day-of-month field: \"32\" is out of range 1-31"},
      {"0 0 0 * 13 *", "month field: \"13\" is out of range 1-12"},
      {"0 0 0 * * 7", "day-of-week field: \"7\" is out of range 0-6 (Sunday is 0)"},
      {"0 5-70 * * * *", "minute field: \"5-70\": 70 is out of range 0-59"},
      {"0 0 ab * * *", "hour field: \"ab\" is not a number"},
      {"0 0 1-ab * * *", "hour field: \"1-ab\": \"ab\" is not a number"},
      {"0 0 0 * foo *", "month field: \"foo\" is not a number or month name (JAN-DEC)"},
      {"0 0 0 * * funday",
       "day-of-week field: \"funday\" is not a number or weekday name (SUN-SAT)"},
      {"0 0 0 * jan-foo *",
       "month field: \"jan-foo\": \"foo\" is not a number or month name (JAN-DEC)"},
      {"*/0 * * * * *", "second field: \"*/0\": step must be a positive number"},
      {"*/x * * * * *", "second field: \"*/x\": step must be a positive number"},
      {"1/2/3 * * * * *", "second field: \"1/2/3\": too many '/'"},
      {"1-2-3 * * * * *", "second field: \"1-2-3\": too many '-'"},
      {"-5 * * * * *", "second field: \"-5\": negative numbers are not allowed"},
      {"5- * * * * *", "second field: \"5-\": a number is missing"},
      {"0 20-10 * * * *", "minute field: \"20-10\": range start 20 is after its end 10"},
      {"0 99999999999 * * * *", "minute field: \"99999999999\" is out of range 0-59"},
      {", * * * * *", "second field: \",\" selects no values"},
      {"0 * * * *",
       "expected 6 fields (second minute hour day-of-month month day-of-week), found 5 in "
       "\"0 * * * *\"; 5-field specs are not accepted: add the seconds first, e.g. "
       "\"0 0 * * * *\""},
      {"0 0 0 * * * *",
       "expected 6 fields (second minute hour day-of-month month day-of-week), found 7 in "
       "\"0 0 0 * * * *\""},
      {"0 0 0 30 2 *",
       "schedule never fires: day-of-month field \"30\" names no day of month field \"2\""},
      {"0 0 0 31 4,6,9,11 *",
       "schedule never fires: day-of-month field \"31\" names no day of month field "
       "\"4,6,9,11\""},
      {"@fortnightly",
       "unknown descriptor \"@fortnightly\" (expected @yearly, @annually, @monthly, @weekly, "
       "@daily, @midnight, @hourly, @minutely, @every <duration>, @at <RFC3339 time>, @after "
       "<RFC3339 time> <<ISO 8601 duration>, @manually)"},
      {"@every 5x", "@every: unknown unit \"x\" in duration \"5x\""},
      {"@every",
       "unknown descriptor \"@every\" (expected @yearly, @annually, @monthly, "
       "@weekly, @daily, @midnight, @hourly, @minutely, @every <duration>, @at "
       "<RFC3339 time>, @after <RFC3339 time> <<ISO 8601 duration>, @manually)"},
      {"@at badtime", "@at: \"badtime\" is not an RFC 3339 time (e.g. 2026-01-02T15:04:05Z)"},
      {"@at 2026-01-02 15:04:05",
       "@at: \"2026-01-02 15:04:05\" is not an RFC 3339 time (e.g. "
       "2026-01-02T15:04:05Z)"},
      {"@after 2026-01-01T00:00:00Z",
       "@after requires format: @after <RFC3339 datetime> <ISO8601 duration>, e.g. \"@after "
       "2026-01-01T00:00:00Z <PT2H\""},
      {"@after 2026-01-01T00:00:00Z PT2H",
       "@after: grace period must start with '<', got \"PT2H\""},
      {"@after 2026-01-01T00:00:00Z <2H",
       "@after: invalid ISO 8601 duration \"2H\" (e.g. PT2H, P1DT12H, P1Y)"},
      {"@after 2026-01-01T00:00:00Z <PT0S",
       "@after: grace period \"PT0S\" must be greater than zero"},
      {"@after 2026-01-01T00:00:00Z <P2H",
       "@after: invalid ISO 8601 duration \"P2H\" (e.g. PT2H, P1DT12H, P1Y)"},
      {"TZ=Mars/Olympus 0 0 0 * * *", "unknown time zone \"Mars/Olympus\""},
      {"TZ=../../etc/passwd 0 0 0 * * *", "unknown time zone \"../../etc/passwd\""},
      {"TZ=UTC", "nothing follows the time zone \"UTC\""},
  };
  for (const auto& c : cases) {
    auto s = Schedule::Parse(c.spec);
    ASSERT_FALSE(s.ok()) << "accepted: \"" << c.spec << "\"";
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << c.spec;
    EXPECT_EQ(s.status().message(), c.message) << c.spec;
  }
}

TEST(Errors, BadJobTimezone) {
  auto s = Schedule::Parse("0 0 0 * * *", {.timezone = "Nowhere/Land"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "unknown time zone \"Nowhere/Land\"");
}

TEST(Errors, RobfigQuirksThatStayAccepted) {
  // robfig ignores what follows "*-" and skips empty list items; Dkron users
  // may have such specs stored, so they keep working.
  EXPECT_EQ(Must("*-5 * * * * *").expanded(), "*-5 * * * * *");
  EXPECT_EQ(Fires(Must("1,,2 0 0 * * *"), At("2026-01-01T00:00:00Z"), 2),
            (Strings{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"}));
  // Tabs and repeated spaces separate fields.
  EXPECT_TRUE(Schedule::Parse("0\t0  0 * * *").ok());
}

TEST(TimeText, Rfc3339RoundTrip) {
  const absl::Time t = At("2026-03-08T03:00:00-04:00");
  EXPECT_EQ(FormatRfc3339(t, Zone("America/New_York")), "2026-03-08T03:00:00-04:00");
  EXPECT_EQ(FormatRfc3339(t, absl::UTCTimeZone()), "2026-03-08T07:00:00Z");
  EXPECT_EQ(FormatRfc3339(At("2026-03-08T07:00:00.25Z"), absl::UTCTimeZone()),
            "2026-03-08T07:00:00.25Z");
  EXPECT_FALSE(ParseRfc3339("2026-03-08").ok());
  EXPECT_FALSE(ParseRfc3339("2026-03-08T07:00:00").ok());  // offset required
}

TEST(TimeText, LoadZone) {
  EXPECT_EQ(LoadZone("").value().name(), "UTC");
  EXPECT_TRUE(LoadZone("Local").ok());
  EXPECT_TRUE(LoadZone("Europe/London").ok());
  EXPECT_FALSE(LoadZone("/etc/localtime").ok());
}

}  // namespace
}  // namespace ckron::cron
