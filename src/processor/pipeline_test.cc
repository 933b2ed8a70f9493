#include "processor/pipeline.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "processor/builtins.h"
#include "processor/log_processor.h"
#include "spdlog/sinks/null_sink.h"

namespace ckron::processor {
namespace {

// Appends its tag to the output and records each config it saw.
class TagProcessor final : public Processor {
 public:
  explicit TagProcessor(std::string tag) : tag_(std::move(tag)) {}
  Result<fsm::Execution> Process(fsm::Execution execution,
                                 const ProcessorConfig& config) const override {
    std::lock_guard lock(mu_);
    configs_.push_back(config);
    execution.output += "[" + tag_ + "]";
    return execution;
  }
  std::vector<ProcessorConfig> configs() const {
    std::lock_guard lock(mu_);
    return configs_;
  }

 private:
  std::string tag_;
  mutable std::mutex mu_;
  mutable std::vector<ProcessorConfig> configs_;  // guarded by mu_
};

// Fails after changing its copy, to show the change is not kept.
class FailingProcessor final : public Processor {
 public:
  Result<fsm::Execution> Process(fsm::Execution execution,
                                 const ProcessorConfig& /*config*/) const override {
    execution.output = "clobbered";
    return Status::Unavailable("sink down");
  }
};

class ThrowingProcessor final : public Processor {
 public:
  Result<fsm::Execution> Process(fsm::Execution /*execution*/,
                                 const ProcessorConfig& /*config*/) const override {
    throw std::runtime_error("boom");
  }
};

fsm::Execution Finished() {
  fsm::Execution e;
  e.id = "5-node-a";
  e.job_name = "report";
  e.success = true;
  e.output = "out";
  return e;
}

fsm::Job Job(std::map<std::string, fsm::StringMap> processors) {
  fsm::Job job;
  job.name = "report";
  job.processors = std::move(processors);
  return job;
}

TEST(Pipeline, RunsProcessorsInMapOrderWithReportingNode) {
  ProcessorRegistry registry;
  auto a = std::make_shared<TagProcessor>("a");
  auto b = std::make_shared<TagProcessor>("b");
  ASSERT_TRUE(registry.Register("zeta", b).ok());
  ASSERT_TRUE(registry.Register("alpha", a).ok());
  Pipeline pipeline(&registry, "leader-1");

  fsm::Execution out =
      pipeline.Process(Job({{"zeta", {{"k", "2"}}}, {"alpha", {{"k", "1"}}}}), Finished());

  EXPECT_EQ(out.output, "out[a][b]");  // "alpha" before "zeta"
  ASSERT_EQ(a->configs().size(), 1u);
  EXPECT_EQ(a->configs()[0], (ProcessorConfig{{"k", "1"}, {"reporting_node", "leader-1"}}));
  EXPECT_EQ(b->configs()[0], (ProcessorConfig{{"k", "2"}, {"reporting_node", "leader-1"}}));
  EXPECT_EQ(pipeline.errors(), 0u);
}

TEST(Pipeline, ReportingNodeOverridesTheJobsValue) {
  ProcessorRegistry registry;
  auto a = std::make_shared<TagProcessor>("a");
  ASSERT_TRUE(registry.Register("a", a).ok());
  Pipeline pipeline(&registry, "leader-1");
  (void)pipeline.Process(Job({{"a", {{"reporting_node", "forged"}}}}), Finished());
  EXPECT_EQ(a->configs()[0].at("reporting_node"), "leader-1");
}

TEST(Pipeline, NoProcessorsPassesTheExecutionThrough) {
  ProcessorRegistry registry;
  Pipeline pipeline(&registry, "leader-1");
  EXPECT_EQ(pipeline.Process(Job({}), Finished()), Finished());
}

TEST(Pipeline, UnknownAndFailingProcessorsAreSkippedAndCounted) {
  ProcessorRegistry registry;
  auto tag = std::make_shared<TagProcessor>("t");
  ASSERT_TRUE(registry.Register("b-fails", std::make_shared<FailingProcessor>()).ok());
  ASSERT_TRUE(registry.Register("c-throws", std::make_shared<ThrowingProcessor>()).ok());
  ASSERT_TRUE(registry.Register("d-tag", tag).ok());
  Pipeline pipeline(&registry, "leader-1");

  fsm::Execution out = pipeline.Process(
      Job({{"a-missing", {}}, {"b-fails", {}}, {"c-throws", {}}, {"d-tag", {}}}), Finished());

  EXPECT_EQ(out.output, "out[t]");  // the failure's change was dropped; later ones ran
  EXPECT_EQ(pipeline.errors(), 3u);
}

TEST(Pipeline, BuiltinLogProcessorReplacesOutputUnlessForwarding) {
  ProcessorRegistry registry;
  ASSERT_TRUE(
      RegisterBuiltins(registry, {.logger = std::make_shared<spdlog::logger>(
                                      "null", std::make_shared<spdlog::sinks::null_sink_mt>())})
          .ok());
  EXPECT_EQ(registry.Names(), (std::vector<std::string>{"files", "log"}));
  Pipeline pipeline(&registry, "leader-1");
  EXPECT_EQ(pipeline.Process(Job({{"log", {}}}), Finished()).output, kLogOutputPlaceholder);
  EXPECT_EQ(pipeline.Process(Job({{"log", {{"forward", "true"}}}}), Finished()).output, "out");
}

TEST(ProcessorRegistry, RegisterFindAndValidate) {
  ProcessorRegistry registry;
  ASSERT_TRUE(RegisterBuiltins(registry).ok());
  EXPECT_EQ(RegisterBuiltins(registry).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.Register("", std::make_shared<FailingProcessor>()).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register("x", nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Find("syslog").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(registry.Find("files").ok());
  EXPECT_TRUE(registry.Validate("syslog", {{"forward", "nonsense"}}).ok());  // unknown: accepted
  EXPECT_EQ(registry.Validate("log", {{"forward", "nonsense"}}).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ckron::processor
