#include "processor/log_processor.h"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>

#include "spdlog/sinks/ostream_sink.h"

namespace ckron::processor {
namespace {

// A logger whose lines ("<level> <message>") land in `out`.
std::shared_ptr<spdlog::logger> CaptureLogger(std::ostringstream& out) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%l %v");
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  return logger;
}

fsm::Execution Finished(bool success, std::string output) {
  fsm::Execution e;
  e.id = "1700000000000000000-node-a";
  e.job_name = "backup";
  e.success = success;
  e.output = std::move(output);
  e.node_name = "node-a";
  return e;
}

TEST(LogProcessor, LogsEachOutputLineWithJobNameAtInfoOnSuccess) {
  std::ostringstream out;
  LogProcessor processor(CaptureLogger(out));
  Result<fsm::Execution> r = processor.Process(Finished(true, "one\ntwo\n"), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(out.str(),
            "info ----- BEGIN OUTPUT job=backup execution=1700000000000000000-node-a -----\n"
            "info job=backup: one\n"
            "info job=backup: two\n"
            "info ----- END OUTPUT job=backup execution=1700000000000000000-node-a -----\n");
}

TEST(LogProcessor, FailedExecutionsLogAtErrorAndKeepALastLineWithoutNewline) {
  std::ostringstream out;
  LogProcessor processor(CaptureLogger(out));
  ASSERT_TRUE(processor.Process(Finished(false, "exit status 1\n\npartial"), {}).ok());
  EXPECT_EQ(out.str(),
            "error ----- BEGIN OUTPUT job=backup execution=1700000000000000000-node-a -----\n"
            "error job=backup: exit status 1\n"
            "error job=backup: \n"
            "error job=backup: partial\n"
            "error ----- END OUTPUT job=backup execution=1700000000000000000-node-a -----\n");
}

TEST(LogProcessor, EmptyOutputLogsOnlyTheFrame) {
  std::ostringstream out;
  LogProcessor processor(CaptureLogger(out));
  ASSERT_TRUE(processor.Process(Finished(true, ""), {}).ok());
  EXPECT_EQ(out.str().find("job=backup: "), std::string::npos) << out.str();
}

TEST(LogProcessor, WithoutForwardTheOutputIsReplaced) {
  std::ostringstream out;
  LogProcessor processor(CaptureLogger(out));
  for (const ProcessorConfig& config : {ProcessorConfig{}, ProcessorConfig{{"forward", "false"}},
                                        ProcessorConfig{{"forward", "nonsense"}}}) {
    Result<fsm::Execution> r = processor.Process(Finished(true, "data\n"), config);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->output, kLogOutputPlaceholder);
    EXPECT_EQ(r->output, "Output in dkron log");
  }
}

TEST(LogProcessor, WithForwardTheExecutionIsUnchanged) {
  std::ostringstream out;
  LogProcessor processor(CaptureLogger(out));
  const fsm::Execution in = Finished(false, "data\n");
  Result<fsm::Execution> r = processor.Process(in, {{"forward", "true"}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, in);
}

TEST(LogProcessor, ValidateChecksForward) {
  std::ostringstream out;
  LogProcessor processor(CaptureLogger(out));
  EXPECT_TRUE(processor.Validate({{"forward", "true"}, {"other", "x"}}).ok());
  EXPECT_EQ(processor.Validate({{"forward", "yes"}}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ckron::processor
