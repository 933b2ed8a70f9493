#include "api/json_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace ckron::api {
namespace {

fsm::Job FullJob() {
  fsm::Job j;
  j.name = "backup";
  j.displayname = "Backup";
  j.timezone = "Europe/Berlin";
  j.schedule = "0 30 2 * * *";
  j.owner = "ops";
  j.owner_email = "ops@example.com";
  j.success_count = 3;
  j.error_count = 1;
  j.last_success = absl::FromUnixSeconds(1'700'000'000);
  j.last_error = absl::FromUnixNanos(1'700'000'000'123'000'000);
  j.disabled = true;
  j.tags = {{"role", "db:1"}};
  j.metadata = {{"team", "a"}};
  j.retries = 2;
  j.parent_job = "";
  j.processors = {{"log", {{"forward", "true"}}}};
  j.concurrency = "forbid";
  j.executor = "shell";
  j.executor_config = {{"command", "echo hi"}};
  j.status = "success";
  j.ephemeral = true;
  j.starts_at = absl::FromUnixSeconds(1'600'000'000);
  j.expires_at = absl::FromUnixSeconds(1'900'000'000);
  j.misfire_policy = "skip";
  j.starting_deadline = absl::Seconds(90);
  j.retry_backoff = absl::Seconds(5);
  return j;
}

TEST(FormatTime, GoStyle) {
  EXPECT_EQ(FormatGoTime(absl::FromUnixSeconds(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatGoTime(absl::FromUnixNanos(1'500'000'000)), "1970-01-01T00:00:01.5Z");
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  EXPECT_EQ(FormatGoTime(absl::FromUnixSeconds(0), berlin), "1970-01-01T01:00:00+01:00");
}

TEST(FormatTime, WritesWhatFormatTimeWrites) {
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  std::uint64_t x = 88172645463325252ULL;  // xorshift: reproducible
  const auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 20000; ++i) {
    // Years 1..9999 (FormatTime writes years before 1000 unpadded), with a
    // sub-second part of 0 to 9 digits.
    const std::int64_t secs =
        static_cast<std::int64_t>(next() % 315'500'000'000ULL) - 62'100'000'000LL;
    std::int64_t ns = static_cast<std::int64_t>(next() % 1'000'000'000ULL);
    for (int cut = static_cast<int>(next() % 10); cut > 0; --cut) ns -= ns % 10, ns /= 10;
    while (ns > 0 && ns < 100'000'000 && next() % 2) ns *= 10;
    const absl::Time t = absl::FromUnixSeconds(secs) + absl::Nanoseconds(ns % 1'000'000'000);
    for (const absl::TimeZone& zone : {absl::UTCTimeZone(), berlin}) {
      const std::string got = FormatGoTime(t, zone);
      const std::string want = absl::FormatTime("%Y-%m-%dT%H:%M:%E*S", t, zone);
      ASSERT_EQ(got.substr(0, want.size()), want) << absl::FormatTime(t);
    }
  }
  EXPECT_EQ(FormatGoTime(absl::FromUnixNanos(1'000'000'001)), "1970-01-01T00:00:01.000000001Z");
  EXPECT_EQ(FormatGoTime(
                absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone())),
            "9999-12-31T23:59:59Z");
  // Outside four-digit years: FormatTime's own text.
  EXPECT_EQ(
      FormatGoTime(absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone())),
      "10000-01-01T00:00:00Z");
}

TEST(ParseTime, Rfc3339AndDatetimeLocal) {
  EXPECT_EQ(*ParseJobTime("2026-01-02T03:04:05Z"), absl::FromUnixSeconds(1'767'323'045));
  EXPECT_EQ(*ParseJobTime("2026-01-02T04:04:05+01:00"), absl::FromUnixSeconds(1'767'323'045));
  EXPECT_EQ(*ParseJobTime("2026-01-02T03:04"), absl::FromUnixSeconds(1'767'323'040));
  EXPECT_FALSE(ParseJobTime("yesterday").ok());
}

TEST(JobJson, FieldsInDkronOrderWithDkronTypes) {
  fsm::Job j;
  j.name = "a";
  const Json o = JobToJson(j);
  std::vector<std::string> keys;
  for (auto it = o.begin(); it != o.end(); ++it) keys.push_back(it.key());
  const std::vector<std::string> want = {"id",
                                         "name",
                                         "displayname",
                                         "timezone",
                                         "schedule",
                                         "owner",
                                         "owner_email",
                                         "success_count",
                                         "error_count",
                                         "last_success",
                                         "last_error",
                                         "disabled",
                                         "tags",
                                         "metadata",
                                         "retries",
                                         "dependent_jobs",
                                         "parent_job",
                                         "processors",
                                         "concurrency",
                                         "executor",
                                         "executor_config",
                                         "status",
                                         "next",
                                         "ephemeral",
                                         "starts_at",
                                         "expires_at",
                                         "misfire_policy",
                                         "starting_deadline",
                                         "retry_backoff"};
  EXPECT_EQ(keys, want);
  EXPECT_EQ(o["id"], "a");
  EXPECT_TRUE(o["last_success"].is_null());
  EXPECT_TRUE(o["tags"].is_null());
  EXPECT_TRUE(o["processors"].is_object());
  EXPECT_EQ(o["next"], "0001-01-01T00:00:00Z");
  EXPECT_TRUE(o["retries"].is_number_unsigned());
}

TEST(JobJson, RoundTrip) {
  const fsm::Job j = FullJob();
  auto back = JobFromJson(JobToJson(j).dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, j);
}

TEST(JobJson, NullsLeaveDefaultsAndUnknownFieldsAreIgnored) {
  auto j = JobFromJson(R"({"name":"a","tags":null,"last_success":null,"whatever":[1,2]})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->name, "a");
  EXPECT_TRUE(j->tags.empty());
}

TEST(JobJson, DatetimeLocalAccepted) {
  auto j = JobFromJson(R"({"name":"a","starts_at":"2026-01-02T03:04"})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*j->starts_at, absl::FromUnixSeconds(1'767'323'040));
}

TEST(JobJson, InvalidJsonSaysWhere) {
  auto j = JobFromJson(R"({"name": )");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(j.status().message().find("Unable to parse payload"), std::string::npos);
  EXPECT_NE(j.status().message().find("column"), std::string::npos) << j.status().message();
}

TEST(JobJson, NotAnObject) {
  auto j = JobFromJson("[1]");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("must be a JSON object"), std::string::npos);
}

// Every field with a JSON value of the wrong type is refused, naming it.
TEST(JobJson, WrongTypeNamesTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"name":5})", "\"name\""},
      {R"({"displayname":true})", "\"displayname\""},
      {R"({"timezone":[]})", "\"timezone\""},
      {R"({"schedule":1})", "\"schedule\""},
      {R"({"owner":{}})", "\"owner\""},
      {R"({"owner_email":1})", "\"owner_email\""},
      {R"({"success_count":"1"})", "\"success_count\""},
      {R"({"error_count":1.5})", "\"error_count\""},
      {R"({"last_success":5})", "\"last_success\""},
      {R"({"last_error":"nope"})", "\"last_error\""},
      {R"({"disabled":"yes"})", "\"disabled\""},
      {R"({"tags":[]})", "\"tags\""},
      {R"({"tags":{"a":1}})", "\"tags.a\""},
      {R"({"metadata":"x"})", "\"metadata\""},
      {R"({"retries":-1})", "\"retries\""},
      {R"({"retries":"2"})", "\"retries\""},
      {R"({"dependent_jobs":"a"})", "\"dependent_jobs\""},
      {R"({"dependent_jobs":[1]})", "\"dependent_jobs[0]\""},
      {R"({"parent_job":1})", "\"parent_job\""},
      {R"({"processors":[]})", "\"processors\""},
      {R"({"processors":{"log":{"forward":true}}})", "\"processors.log.forward\""},
      {R"({"concurrency":1})", "\"concurrency\""},
      {R"({"executor":1})", "\"executor\""},
      {R"({"executor_config":{"timeout":30}})", "\"executor_config.timeout\""},
      {R"({"status":1})", "\"status\""},
      {R"({"ephemeral":0})", "\"ephemeral\""},
      {R"({"starts_at":true})", "\"starts_at\""},
      {R"({"expires_at":"soon"})", "\"expires_at\""},
      {R"({"misfire_policy":1})", "\"misfire_policy\""},
      {R"({"starting_deadline":60})", "\"starting_deadline\""},
      {R"({"retry_backoff":"5 parsecs"})", "\"retry_backoff\""},
  };
  for (const auto& [body, field] : cases) {
    auto j = JobFromJson(body);
    ASSERT_FALSE(j.ok()) << body;
    EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_NE(j.status().message().find(field), std::string::npos)
        << body << " -> " << j.status().message();
  }
}

// JobJsonText writes JobToJson's compact dump without the document: the
// same bytes for every job, whatever its strings hold (quotes, control
// characters, non-ASCII, invalid UTF-8) and whichever fields are set.
TEST(JobJson, TextIsTheDumpOfTheDocumentByteForByte) {
  std::mt19937 rng(20261128);
  const std::vector<std::string> pieces = {"",
                                           "a",
                                           "job-1",
                                           "\"q\"",
                                           "back\\slash",
                                           "\n\r\t\b\f",
                                           std::string("\x01\x1f\x7f", 3),
                                           "caf\xc3\xa9",
                                           "\xff\xfe bad",
                                           "µs",
                                           "/"};
  bool ascii = true;  // half the jobs: only ASCII pieces (the written path)
  const auto text = [&] {
    std::string s;
    const std::size_t choices = ascii ? 7 : pieces.size();  // the first 7 are ASCII
    for (int n = static_cast<int>(rng() % 3); n >= 0; --n) s += pieces[rng() % choices];
    return s;
  };
  const auto map = [&] {
    fsm::StringMap m;
    for (int n = static_cast<int>(rng() % 3); n > 0; --n) m[text()] = text();
    return m;
  };
  const auto time = [&]() -> std::optional<absl::Time> {
    if (rng() % 2) return std::nullopt;
    return absl::FromUnixNanos(static_cast<std::int64_t>(rng() % 4'000'000'000) * 1'000'000'000 +
                               static_cast<std::int64_t>(rng() % 1'000'000'000));
  };
  const auto duration = [&]() -> std::optional<absl::Duration> {
    if (rng() % 2) return std::nullopt;
    return absl::Nanoseconds(static_cast<std::int64_t>(rng() % 10'000'000'000));
  };
  for (int i = 0; i < 2000; ++i) {
    ascii = i % 2 == 0;
    fsm::Job j;
    j.name = text();
    j.displayname = text();
    j.timezone = text();
    j.schedule = text();
    j.owner = text();
    j.owner_email = text();
    j.success_count = static_cast<std::int64_t>(rng()) - (1LL << 31);
    j.error_count = static_cast<std::int64_t>(rng() % 1000);
    j.last_success = time();
    j.last_error = time();
    j.disabled = rng() % 2;
    j.tags = map();
    j.metadata = map();
    j.retries = static_cast<std::uint32_t>(rng());
    for (int n = static_cast<int>(rng() % 3); n > 0; --n) j.dependent_jobs.push_back(text());
    j.parent_job = text();
    for (int n = static_cast<int>(rng() % 3); n > 0; --n) j.processors[text()] = map();
    j.concurrency = text();
    j.executor = text();
    j.executor_config = map();
    j.status = text();
    j.next_known = rng() % 2;
    if (const auto t = time()) j.next = *t;
    j.ephemeral = rng() % 2;
    j.starts_at = time();
    j.expires_at = time();
    j.misfire_policy = text();
    j.starting_deadline = duration();
    j.retry_backoff = duration();
    ASSERT_EQ(JobJsonText(j), Dump(JobToJson(j), false)) << "job " << i;
  }
}

TEST(ExecutionJson, ShapeAndZone) {
  fsm::Execution e;
  e.id = "1-n1";
  e.job_name = "a";
  e.started_at = absl::FromUnixSeconds(0);
  e.success = true;
  e.node_name = "n1";
  e.group = 7;
  e.attempt = 1;
  absl::TimeZone berlin;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Berlin", &berlin));
  const Json o = ExecutionToJson(e, berlin, false);
  EXPECT_EQ(o["started_at"], "1970-01-01T01:00:00+01:00");
  EXPECT_EQ(o["finished_at"], "0001-01-01T00:00:00Z");
  EXPECT_FALSE(o.contains("output"));  // omitempty
  EXPECT_EQ(o["output_truncated"], false);
  EXPECT_EQ(o["group"], 7);
  EXPECT_FALSE(ExecutionToJson(e, berlin).contains("output_truncated"));
}

TEST(Dump, PrettyIndentsFourSpaces) {
  EXPECT_EQ(Dump(Json{{"a", 1}}, true), "{\n    \"a\": 1\n}");
  EXPECT_EQ(Dump(Json{{"a", 1}}, false), "{\"a\":1}");
}

}  // namespace
}  // namespace ckron::api
