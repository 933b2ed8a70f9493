#include "common/log.h"

#include <gtest/gtest.h>

#include <regex>

namespace ckron::logging {
namespace {

TEST(Log, TextLinesCarryNodeModuleAndEscapedMessage) {
  Configure({.node_name = "node-a", .level = spdlog::level::info, .format = Format::kText});
  testing::internal::CaptureStdout();
  Get("agent")->info("hello \"world\"");
  Get("agent")->debug("hidden at info");
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_TRUE(std::regex_match(
      out, std::regex("time=\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\" level=info "
                      "module=agent node=node-a msg=\"hello \\\\\"world\\\\\"\"\n")))
      << out;
}

TEST(Log, JsonLinesAreOneObjectEach) {
  Configure({.node_name = "n\"1", .level = spdlog::level::debug, .format = Format::kJson});
  testing::internal::CaptureStdout();
  Get("cron")->debug("line\nbreak");
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("\"level\":\"debug\",\"module\":\"cron\",\"node\":\"n\\\"1\","
                     "\"msg\":\"line\\nbreak\"}\n"),
            std::string::npos)
      << out;
}

TEST(Log, ErrorsGoToStderrOnly) {
  Configure({.node_name = "n", .level = spdlog::level::info, .format = Format::kText});
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  Get("agent")->error("bad");
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("level=error"), std::string::npos);
}

TEST(Log, SetLevelAppliesToExistingLoggers) {
  Configure({.node_name = "n", .level = spdlog::level::info, .format = Format::kText});
  auto logger = Get("reload");
  SetLevel(spdlog::level::err);
  testing::internal::CaptureStdout();
  logger->info("suppressed");
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
}

TEST(Log, ParsesDkronLevelNames) {
  EXPECT_EQ(*ParseLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(*ParseLevel("WARN"), spdlog::level::warn);
  EXPECT_EQ(*ParseLevel("panic"), spdlog::level::critical);
  EXPECT_FALSE(ParseLevel("loud").ok());
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseFormat("xml").ok());
}

}  // namespace
}  // namespace ckron::logging
