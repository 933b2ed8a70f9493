#include "admission/admission.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "executor/builtins.h"
#include "processor/builtins.h"
#include "spdlog/sinks/null_sink.h"

namespace ckron::admission {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class AdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(executor::RegisterBuiltins(executors_).ok());
    ASSERT_TRUE(processor::RegisterBuiltins(
                    processors_, {.logger = std::make_shared<spdlog::logger>(
                                      "null", std::make_shared<spdlog::sinks::null_sink_mt>())})
                    .ok());
  }

  // A job every check accepts.
  static fsm::Job Valid() {
    fsm::Job job;
    job.name = "nightly-backup_2";
    job.schedule = "@every 1m";
    job.executor = "shell";
    job.executor_config = {{"command", "echo hi"}, {"timeout", "30s"}, {"mem_limit", "512M"}};
    job.processors = {{"log", {{"forward", "true"}}}, {"files", {{"log_dir", "/tmp/ckron"}}}};
    return job;
  }

  Status Check(const std::function<void(fsm::Job&)>& mutate) const {
    fsm::Job job = Valid();
    mutate(job);
    return ValidateJobForWrite(job, executors_, processors_);
  }

  executor::ExecutorRegistry executors_;
  processor::ProcessorRegistry processors_;
};

struct Refused {
  const char* what;
  std::function<void(fsm::Job&)> mutate;
  std::string message;  // the exact message
};

TEST_F(AdmissionTest, AcceptsAValidJob) {
  EXPECT_TRUE(Check([](fsm::Job&) {}).ok());
}

TEST_F(AdmissionTest, RefusesEachRuleWithAMessageNamingTheField) {
  const Refused cases[] = {
      {"empty name", [](fsm::Job& j) { j.name = ""; }, "name cannot be empty"},
      {"upper-case name", [](fsm::Job& j) { j.name = "Backup"; },
       "name contains illegal character 'B'"},
      {"dotted name", [](fsm::Job& j) { j.name = "a.b"; }, "name contains illegal character '.'"},
      {"own parent", [](fsm::Job& j) { j.parent_job = j.name; },
       "the job can not have itself as parent"},
      {"bad time zone", [](fsm::Job& j) { j.timezone = "Mars/Olympus"; },
       "unknown time zone \"Mars/Olympus\""},
      {"bad concurrency", [](fsm::Job& j) { j.concurrency = "sometimes"; },
       "invalid concurrency policy value, use \"allow\", \"forbid\" or \"replace\""},
      {"bad misfire policy", [](fsm::Job& j) { j.misfire_policy = "later"; },
       "invalid misfire_policy value, use \"run_once\", \"skip\" or \"run_all\""},
      {"negative starting deadline", [](fsm::Job& j) { j.starting_deadline = absl::Seconds(-1); },
       "starting_deadline must not be negative"},
      {"negative retry backoff", [](fsm::Job& j) { j.retry_backoff = absl::Seconds(-5); },
       "retry_backoff: must not be negative"},
      {"shell timeout", [](fsm::Job& j) { j.executor_config["timeout"] = "soon"; },
       "executor_config.timeout: Error parsing job timeout value"},
      {"shell timeout and mem_limit: no single key to blame",
       [](fsm::Job& j) {
         j.executor_config["timeout"] = "soon";
         j.executor_config["mem_limit"] = "lots";
       },
       "executor_config: Error parsing job timeout value"},
      {"http without url",
       [](fsm::Job& j) {
         j.executor = "http";
         j.executor_config = {{"method", "GET"}};
       },
       "executor_config: url is empty"},
      {"http without method",
       [](fsm::Job& j) {
         j.executor = "http";
         j.executor_config = {{"url", "http://example.test/"}};
       },
       "executor_config: method is empty"},
      {"log forward", [](fsm::Job& j) { j.processors["log"]["forward"] = "yes"; },
       "processors.log.forward: \"yes\" is not a boolean (use true or false)"},
      {"files forward", [](fsm::Job& j) { j.processors["files"]["forward"] = "2"; },
       "processors.files.forward: \"2\" is not a boolean (use true or false)"},
      {"files log_dir with NUL",
       [](fsm::Job& j) { j.processors["files"]["log_dir"] = std::string("/tmp/a\0b", 8); },
       "processors.files.log_dir: contains a NUL byte"},
  };
  for (const Refused& c : cases) {
    const Status s = Check(c.mutate);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_EQ(s.message(), c.message) << c.what;
  }
}

TEST_F(AdmissionTest, BadScheduleNamesTheScheduleAndTheToken) {
  const Status s = Check([](fsm::Job& j) { j.schedule = "0 0 25 * * *"; });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), StartsWith("can't parse job schedule: "));
}

TEST_F(AdmissionTest, ShellMemLimitIsBlamedOnItsKey) {
  const Status s = Check([](fsm::Job& j) { j.executor_config["mem_limit"] = "lots"; });
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(),
              StartsWith("executor_config.mem_limit: Error parsing job memory limit value: "));
}

TEST_F(AdmissionTest, JobChecksComeBeforeExecutorAndProcessorChecks) {
  const Status s = Check([](fsm::Job& j) {
    j.name = "";
    j.executor_config["timeout"] = "soon";
    j.processors["log"]["forward"] = "yes";
  });
  EXPECT_EQ(s.message(), "name cannot be empty");
  const Status t = Check([](fsm::Job& j) {
    j.executor_config["timeout"] = "soon";
    j.processors["log"]["forward"] = "yes";
  });
  EXPECT_THAT(t.message(), StartsWith("executor_config.timeout: "));
}

TEST_F(AdmissionTest, AcceptsWhatDkronAccepts) {
  // Unknown or missing executors: they may be plugins on the agents only.
  EXPECT_TRUE(Check([](fsm::Job& j) {
                j.executor = "kafka";
                j.executor_config = {{"anything", "goes"}};
              }).ok());
  EXPECT_TRUE(Check([](fsm::Job& j) {
                j.executor = "";
                j.executor_config = {{"timeout", "soon"}};
              }).ok());
  // Unknown processors: logged by the pipeline at run time, not refused.
  EXPECT_TRUE(Check([](fsm::Job& j) { j.processors["syslog"] = {{"forward", "whatever"}}; }).ok());
  // Empty forward and empty log_dir mean the defaults.
  EXPECT_TRUE(Check([](fsm::Job& j) {
                j.processors = {{"log", {{"forward", ""}}}, {"files", {{"log_dir", ""}}}};
              }).ok());
  // A child job needs no schedule.
  EXPECT_TRUE(Check([](fsm::Job& j) {
                j.schedule = "";
                j.parent_job = "parent";
              }).ok());
  // A well-formed http job.
  EXPECT_TRUE(Check([](fsm::Job& j) {
                j.executor = "http";
                j.executor_config = {{"url", "http://example.test/"}, {"method", "POST"}};
              }).ok());
}

}  // namespace
}  // namespace ckron::admission
