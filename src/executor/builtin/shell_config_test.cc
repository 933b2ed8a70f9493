#include "executor/builtin/shell_config.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

using Strings = std::vector<std::string>;

TEST(ShellConfig, EnvListSplitsOnCommasAndDropsEmptyItems) {
  EXPECT_EQ(ParseEnvList("A=1,B=2"), (Strings{"A=1", "B=2"}));
  EXPECT_EQ(ParseEnvList(""), Strings{});
  EXPECT_EQ(ParseEnvList(",A=1,,B=x=y,"), (Strings{"A=1", "B=x=y"}));
  EXPECT_EQ(ParseEnvList("NOEQUALS,C="), (Strings{"C="}));
}

TEST(ShellConfig, MemLimitReadsBytesAndUnitsLikeDkron) {
  EXPECT_EQ(*ParseMemLimit(""), 0);
  EXPECT_EQ(*ParseMemLimit("1048576"), 1048576);
  EXPECT_EQ(*ParseMemLimit("512KB"), 512 * 1024);
  EXPECT_EQ(*ParseMemLimit("512k"), 512 * 1024);
  EXPECT_EQ(*ParseMemLimit("64MB"), 64 << 20);
  EXPECT_EQ(*ParseMemLimit("1.5G"), 3LL << 29);
  EXPECT_EQ(*ParseMemLimit(" 2tb "), 2LL << 40);
  EXPECT_EQ(*ParseMemLimit("100B"), 100);
  EXPECT_EQ(*ParseMemLimit("100bytes"), 100);
}

TEST(ShellConfig, MemLimitErrorsAreDkrons) {
  const auto message = [](const char* text) { return ParseMemLimit(text).status().message(); };
  EXPECT_EQ(message("0"), "memory limit must be greater than 0");
  EXPECT_EQ(message("-5"), "memory limit must be greater than 0");
  EXPECT_EQ(message("0MB"), "memory limit must be greater than 0");
  EXPECT_EQ(message("lots"), "invalid memory limit format: LOTS");
  EXPECT_EQ(message("1.2.3MB"), "invalid numeric value in memory limit: 1.2.3");
  EXPECT_EQ(message("5PB"), "unsupported memory unit: PB (supported: B, KB, MB, GB, TB)");
  EXPECT_EQ(message("99999999999T"), "memory limit too large or causes overflow");
  EXPECT_EQ(message("0.0001"), "memory limit too large or causes overflow");  // Dkron's too
}

TEST(ShellConfig, Base64IsGosStdEncoding) {
  EXPECT_EQ(*DecodeBase64(""), "");
  EXPECT_EQ(*DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(*DecodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_EQ(*DecodeBase64("aGk="), "hi");
  EXPECT_EQ(*DecodeBase64("aA=="), "h");
  EXPECT_EQ(DecodeBase64("aGVsbG8").status().message(), "illegal base64 data at input byte 4");
  EXPECT_EQ(DecodeBase64("aG$s").status().message(), "illegal base64 data at input byte 2");
  EXPECT_FALSE(DecodeBase64("a===").ok());
  EXPECT_FALSE(DecodeBase64("aA==aA==").ok());
}

TEST(ShellConfig, SuIsUserAndOptionalGroup) {
  EXPECT_EQ(ParseSu("nobody").user, "nobody");
  EXPECT_FALSE(ParseSu("nobody").group);
  EXPECT_EQ(*ParseSu("nobody:nogroup").group, "nogroup");
}

TEST(ShellConfig, ResolveCredentialsKnowsUsersAndGroups) {
  EXPECT_EQ(ResolveCredentials({"no-such-user-ckron", {}}).status().message(),
            "user: unknown user no-such-user-ckron");
  if (geteuid() != 0) GTEST_SKIP() << "switching to another user needs root";
  Result<Credentials> c = ResolveCredentials({"nobody", std::string("nogroup")});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->uid, 65534u);
  EXPECT_EQ(c->gid, 65534u);
  EXPECT_EQ(ResolveCredentials({"nobody", std::string("no-such-group-ckron")}).status().message(),
            "group: unknown group no-such-group-ckron");
}

TEST(ShellConfig, ParsesEveryKey) {
  Result<ShellConfig> c = ParseShellConfig({{"command", "echo hi"},
                                            {"shell", "true"},
                                            {"env", "A=1,B=2"},
                                            {"cwd", "/tmp"},
                                            {"timeout", "1m30s"},
                                            {"mem_limit", "1G"},
                                            {"su", "nobody"},
                                            {"payload", "aGk="}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->command, "echo hi");
  EXPECT_TRUE(c->use_shell);
  EXPECT_EQ(c->env, (Strings{"A=1", "B=2"}));
  EXPECT_EQ(c->cwd, "/tmp");
  EXPECT_EQ(*c->timeout, absl::Seconds(90));
  EXPECT_EQ(c->mem_limit, 1LL << 30);
  EXPECT_EQ(c->su->user, "nobody");
  EXPECT_EQ(c->payload, "hi");
}

TEST(ShellConfig, ShellFlagIsGosParseBoolAndDefaultsToFalse) {
  EXPECT_TRUE(ParseShellConfig({{"shell", "1"}})->use_shell);
  EXPECT_FALSE(ParseShellConfig({{"shell", "yes"}})->use_shell);
  EXPECT_FALSE(ParseShellConfig({})->use_shell);
}

TEST(ShellConfig, ZeroTimeoutMeansNone) {
  EXPECT_FALSE(ParseShellConfig({{"timeout", "0s"}})->timeout);
  EXPECT_FALSE(ParseShellConfig({{"timeout", ""}})->timeout);
}

TEST(ShellConfig, ExecutionErrorsAreTheShellExecutors) {
  EXPECT_EQ(ParseShellConfig({{"timeout", "10"}}).status().message(),
            "shell: Error parsing job timeout");
  EXPECT_EQ(ParseShellConfig({{"mem_limit", "5PB"}}).status().message(),
            "shell: Error parsing job memory limit: unsupported memory unit: PB (supported: B, "
            "KB, MB, GB, TB)");
  EXPECT_EQ(ParseShellConfig({{"payload", "!"}}).status().message(),
            "illegal base64 data at input byte 0");
}

TEST(ShellConfig, ValidationErrorsAreTheApis) {
  EXPECT_TRUE(ValidateShellConfig({{"command", "x"}, {"timeout", "5s"}, {"mem_limit", "1G"}}).ok());
  EXPECT_EQ(ValidateShellConfig({{"timeout", "five"}}).message(),
            "Error parsing job timeout value");
  EXPECT_EQ(ValidateShellConfig({{"mem_limit", "0"}}).message(),
            "Error parsing job memory limit value: memory limit must be greater than 0");
  EXPECT_EQ(ValidateShellConfig({{"mem_limit", "0"}}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ckron::executor
