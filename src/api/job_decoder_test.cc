// JobFromJson decodes straight from the parser's events (job_decoder.cc);
// these pin its edge cases, and that it answers exactly as the document
// decoder it replaced (testing/dom_job_decoder.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/json_codec.h"
#include "api/testing/dom_job_decoder.h"

namespace ckron::api {
namespace {

using testing::DomJobFromJson;

// Same job, or same error message, as the document decoder.
void ExpectSameAsDom(const std::string& body) {
  const Result<fsm::Job> sax = JobFromJson(body);
  const Result<fsm::Job> dom = DomJobFromJson(body);
  ASSERT_EQ(sax.ok(), dom.ok()) << body << "\n sax: " << (sax.ok() ? "ok" : sax.status().ToString())
                                << "\n dom: " << (dom.ok() ? "ok" : dom.status().ToString());
  if (sax.ok()) {
    EXPECT_EQ(*sax, *dom) << body;
  } else {
    EXPECT_EQ(sax.status().code(), dom.status().code()) << body;
    EXPECT_EQ(sax.status().message(), dom.status().message()) << body;
  }
}

std::string ErrorOf(const std::string& body) {
  auto j = JobFromJson(body);
  if (j.ok()) return "ok";
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument) << body;
  return j.status().message();
}

const std::vector<std::string>& FieldNames() {
  static const std::vector<std::string> kNames = {"name",           "displayname",
                                                  "timezone",       "schedule",
                                                  "owner",          "owner_email",
                                                  "success_count",  "error_count",
                                                  "last_success",   "last_error",
                                                  "disabled",       "tags",
                                                  "metadata",       "retries",
                                                  "dependent_jobs", "parent_job",
                                                  "processors",     "concurrency",
                                                  "executor",       "executor_config",
                                                  "status",         "ephemeral",
                                                  "starts_at",      "expires_at",
                                                  "misfire_policy", "starting_deadline",
                                                  "retry_backoff",  "id",
                                                  "next",           "unknown"};
  return kNames;
}

// Values of every JSON type, including numbers at the edges of the integer
// types and containers to be skipped.
const std::vector<std::string>& Values() {
  static const std::vector<std::string> kValues = {
      "null",
      "true",
      "false",
      "0",
      "-0",
      "7",
      "-1",
      "1.5",
      "1e3",
      "1e400",
      "-1e400",
      "4294967295",
      "4294967296",
      "9223372036854775807",
      "9223372036854775808",
      "-9223372036854775808",
      "-9223372036854775809",
      "18446744073709551615",
      "18446744073709551616",
      R"("")",
      R"("text")",
      R"("30s")",
      R"("2026-01-02T03:04:05Z")",
      "[]",
      R"(["a","b"])",
      R"(["a",1,"b",[2]])",
      "{}",
      R"({"k":"v"})",
      R"({"k":1})",
      R"({"k":{"deep":[1,{"x":null}]}})",
      R"({"log":{"forward":"true"},"files":null})",
      R"({"log":{"forward":true}})",
  };
  return kValues;
}

TEST(JobDecoder, EveryFieldWithEveryTypeAnswersAsTheDocumentDecoder) {
  for (const std::string& field : FieldNames()) {
    for (const std::string& value : Values()) {
      ExpectSameAsDom(R"({"name":"a",")" + field + "\":" + value + "}");
    }
  }
}

TEST(JobDecoder, WrongTypesNameTheFieldAndWhatCame) {
  EXPECT_EQ(ErrorOf(R"({"retries":-1})"),
            "Unable to parse payload: field \"retries\" must be a non-negative integer, got "
            "number -1.");
  EXPECT_EQ(ErrorOf(R"({"name":{"a":[1]}})"),
            "Unable to parse payload: field \"name\" must be a string, got object.");
  EXPECT_EQ(ErrorOf(R"({"disabled":"yes"})"),
            "Unable to parse payload: field \"disabled\" must be true or false, got string.");
  EXPECT_EQ(ErrorOf(R"({"error_count":1.5})"),
            "Unable to parse payload: field \"error_count\" must be an integer, got number 1.5.");
  EXPECT_EQ(ErrorOf(R"({"tags":[]})"),
            "Unable to parse payload: field \"tags\" must be an object of strings, got array.");
  EXPECT_EQ(ErrorOf(R"({"processors":"log"})"),
            "Unable to parse payload: field \"processors\" must be an object of objects, got "
            "string.");
}

TEST(JobDecoder, HugeNumbers) {
  EXPECT_EQ(JobFromJson(R"({"success_count":9223372036854775807})")->success_count, INT64_MAX);
  EXPECT_EQ(JobFromJson(R"({"success_count":-9223372036854775808})")->success_count, INT64_MIN);
  EXPECT_EQ(JobFromJson(R"({"retries":4294967295})")->retries, UINT32_MAX);
  EXPECT_EQ(ErrorOf(R"({"retries":4294967296})"),
            "Unable to parse payload: field \"retries\" must be a non-negative integer, got "
            "number 4294967296.");
  EXPECT_EQ(ErrorOf(R"({"success_count":9223372036854775808})"),
            "Unable to parse payload: field \"success_count\" must be an integer, got number "
            "9223372036854775808.");
  // Beyond uint64 the parser has a double.
  EXPECT_EQ(ErrorOf(R"({"success_count":18446744073709551616})"),
            "Unable to parse payload: field \"success_count\" must be an integer, got number "
            "1.8446744073709552e+19.");
  ExpectSameAsDom(R"({"error_count":1e400})");
}

TEST(JobDecoder, NestedObjectsOfStrings) {
  auto j = JobFromJson(R"({"metadata":{"team":"a","x":"y"},"tags":{"role":"web:2"},)"
                       R"("executor_config":{"command":"echo hi","shell":"true"},)"
                       R"("processors":{"log":{"forward":"true"},"files":null}})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->metadata, (fsm::StringMap{{"team", "a"}, {"x", "y"}}));
  EXPECT_EQ(j->tags, (fsm::StringMap{{"role", "web:2"}}));
  EXPECT_EQ(j->executor_config, (fsm::StringMap{{"command", "echo hi"}, {"shell", "true"}}));
  EXPECT_EQ(j->processors,
            (std::map<std::string, fsm::StringMap>{{"files", {}}, {"log", {{"forward", "true"}}}}));
  EXPECT_EQ(ErrorOf(R"({"executor_config":{"timeout":{"s":30}}})"),
            "Unable to parse payload: field \"executor_config.timeout\" must be a string, got "
            "object.");
  EXPECT_EQ(ErrorOf(R"({"metadata":{"a":null}})"),
            "Unable to parse payload: field \"metadata.a\" must be a string, got null.");
  EXPECT_EQ(ErrorOf(R"({"processors":{"log":[1]}})"),
            "Unable to parse payload: field \"processors.log\" must be an object of strings, got "
            "array.");
  EXPECT_EQ(ErrorOf(R"({"processors":{"log":{"a":"b","forward":true}}})"),
            "Unable to parse payload: field \"processors.log.forward\" must be a string, got "
            "bool.");
  EXPECT_EQ(ErrorOf(R"({"dependent_jobs":["a",1,2]})"),
            "Unable to parse payload: field \"dependent_jobs[1]\" must be a string, got number "
            "1.");
}

// The document decoder checks fields in fsm::Job's order and objects in key
// order, so that is whose error wins, not the body's order.
TEST(JobDecoder, FirstErrorInFieldOrderNotBodyOrder) {
  EXPECT_EQ(ErrorOf(R"({"retries":-1,"name":5})"),
            "Unable to parse payload: field \"name\" must be a string, got number 5.");
  EXPECT_EQ(ErrorOf(R"({"tags":{"z":1,"b":2}})"),
            "Unable to parse payload: field \"tags.b\" must be a string, got number 2.");
  EXPECT_EQ(ErrorOf(R"({"processors":{"b":{"k":1},"a":5}})"),
            "Unable to parse payload: field \"processors.a\" must be an object of strings, got "
            "number 5.");
  // A syntax error anywhere wins over a field error before it.
  EXPECT_NE(ErrorOf(R"({"name":5,)").find("parse error at line 1, column 11"), std::string::npos)
      << ErrorOf(R"({"name":5,)");
  ExpectSameAsDom(R"({"name":5,)");
  ExpectSameAsDom(R"({"name":5} x)");
}

// A key given twice: the last value counts, for fields and entries alike.
TEST(JobDecoder, DuplicateKeysLastWins) {
  EXPECT_EQ(JobFromJson(R"({"name":"a","name":"b"})")->name, "b");
  EXPECT_EQ(JobFromJson(R"({"name":5,"name":"b"})")->name, "b");
  EXPECT_EQ(JobFromJson(R"({"name":"a","name":null})")->name, "");
  EXPECT_EQ(ErrorOf(R"({"name":"b","name":5})"),
            "Unable to parse payload: field \"name\" must be a string, got number 5.");
  EXPECT_EQ(JobFromJson(R"({"tags":{"a":1,"a":"x"}})")->tags, (fsm::StringMap{{"a", "x"}}));
  EXPECT_FALSE(JobFromJson(R"({"tags":{"a":"x","a":1}})").ok());
  EXPECT_EQ(JobFromJson(R"({"tags":{"a":"x"},"tags":{"b":"y"}})")->tags,
            (fsm::StringMap{{"b", "y"}}));
  EXPECT_TRUE(JobFromJson(R"({"tags":{"a":1},"tags":null})")->tags.empty());
  EXPECT_EQ(JobFromJson(R"({"dependent_jobs":["a",1],"dependent_jobs":["c"]})")->dependent_jobs,
            std::vector<std::string>{"c"});
  EXPECT_EQ(JobFromJson(R"({"processors":{"log":{"a":1},"log":{"b":"c"}}})")->processors,
            (std::map<std::string, fsm::StringMap>{{"log", {{"b", "c"}}}}));
  EXPECT_EQ(JobFromJson(R"({"processors":{"log":{"a":"b"}},"processors":{}})")->processors.size(),
            0u);
  for (const char* body :
       {R"({"name":"a","name":"b"})", R"({"tags":{"a":"x","a":1}})",
        R"({"processors":{"log":5,"log":null}})", R"({"retries":1,"retries":-1,"retries":2})",
        R"({"starts_at":"nope","starts_at":"2026-01-02T03:04"})"}) {
    ExpectSameAsDom(body);
  }
}

TEST(JobDecoder, UnicodeEscapes) {
  auto j = JobFromJson(
      R"({"name":"\u00e9t\u00e9","metadata":{"\ud83d\ude00":"a\u0000b"},"owner":"\"\\\/"})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->name, "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(j->metadata.begin()->first, "\xF0\x9F\x98\x80");
  EXPECT_EQ(j->metadata.begin()->second, std::string("a\0b", 3));
  EXPECT_EQ(j->owner, "\"\\/");
  // A lone surrogate and raw invalid UTF-8 are syntax errors, worded as
  // the parser words them.
  for (const char* body : {R"({"name":"\ud800"})", R"({"name":"\udc00x"})", "{\"name\":\"\xff\"}",
                           R"({"name":"\u12"})"}) {
    EXPECT_NE(ErrorOf(body).find("parse error"), std::string::npos) << body;
    ExpectSameAsDom(body);
  }
}

TEST(JobDecoder, BodyThatIsNotAnObject) {
  for (const char* body : {"", " ", "[]", "5", "\"job\"", "null", "[{\"name\":\"a\"}]", "{} {}",
                           "{\"name\":\"a\"", "{\"name\" \"a\"}"}) {
    EXPECT_FALSE(JobFromJson(body).ok()) << body;
    ExpectSameAsDom(body);
  }
  EXPECT_EQ(ErrorOf("[]"), "Unable to parse payload: the body must be a JSON object.");
  EXPECT_EQ(*JobFromJson("{}"), fsm::Job{});
}

TEST(JobDecoder, UnknownFieldsOfAnyShapeAreSkipped) {
  auto j = JobFromJson(
      R"({"x":{"y":[{"z":[]},{"name":5}]},"name":"a","id":"other","next":"2026-01-01T00:00:00Z",)"
      R"("schedule_anchor":5,"tags":{"k":"v"}})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(j->name, "a");
  EXPECT_EQ(j->tags, (fsm::StringMap{{"k", "v"}}));
}

TEST(JobDecoder, TimesAndDurations) {
  auto j = JobFromJson(R"({"starts_at":"2026-01-02T03:04:05Z","retry_backoff":"1m30s"})");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(*j->starts_at, absl::FromUnixSeconds(1'767'323'045));
  EXPECT_EQ(*j->retry_backoff, absl::Seconds(90));
  EXPECT_EQ(ErrorOf(R"({"expires_at":"soon"})"),
            "Unable to parse payload: field \"expires_at\": \"soon\" is neither an RFC 3339 time "
            "nor 2006-01-02T15:04.");
  ExpectSameAsDom(R"({"starting_deadline":"5 parsecs"})");
}

}  // namespace
}  // namespace ckron::api
