#include "executor/builtin/shellwords.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

using Words = std::vector<std::string>;

Words Split(std::string_view line) {
  Result<Words> r = SplitShellWords(line);
  EXPECT_TRUE(r.ok()) << line << ": " << r.status().ToString();
  return r.ok() ? *r : Words{};
}

TEST(ShellWords, SplitsOnWhitespace) {
  EXPECT_EQ(Split("echo  hello\tworld\n"), (Words{"echo", "hello", "world"}));
  EXPECT_EQ(Split(""), Words{});
  EXPECT_EQ(Split("   "), Words{});
}

TEST(ShellWords, QuotesKeepSpacesAndMakeEmptyWords) {
  EXPECT_EQ(Split("printf '%s|' 'a b' \"c d\" '' \"\""),
            (Words{"printf", "%s|", "a b", "c d", "", ""}));
  EXPECT_EQ(Split("a'b c'd"), (Words{"ab cd"}));
  EXPECT_EQ(Split("'it\"s'"), (Words{"it\"s"}));
  EXPECT_EQ(Split("\"it's\""), (Words{"it's"}));
}

TEST(ShellWords, BackslashEscapesOutsideSingleQuotes) {
  EXPECT_EQ(Split("a\\ b"), (Words{"a b"}));
  EXPECT_EQ(Split("\"a\\\"b\""), (Words{"a\"b"}));
  EXPECT_EQ(Split("'a\\b'"), (Words{"a\\b"}));
  // go-shellwords' quirk: \t and \n are a tab and a newline.
  EXPECT_EQ(Split("a\\tb\\nc"), (Words{"a\tb\nc"}));
}

TEST(ShellWords, SubstitutionsAreKeptLiterally) {
  EXPECT_EQ(Split("echo $(date +%s) `x y`"), (Words{"echo", "$(date +%s)", "`x y`"}));
  EXPECT_EQ(Split("echo $HOME"), (Words{"echo", "$HOME"}));
}

TEST(ShellWords, UnbalancedInputIsGoShellwordsError) {
  for (const char* bad :
       {"echo 'a", "echo \"a", "echo a\\", "echo (a)", "echo a)", "echo `a", "echo $(a"}) {
    Result<Words> r = SplitShellWords(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message(), "invalid command line string") << bad;
  }
}

TEST(ShellWords, ShellOperatorsAreRefusedNotSilentlyDropped) {
  for (const char* op : {"echo hi > f", "a; b", "a && b", "a | b", "a < f", "a 2>&1"}) {
    Result<Words> r = SplitShellWords(op);
    ASSERT_FALSE(r.ok()) << op;
    EXPECT_NE(r.status().message().find("\"shell\": \"true\""), std::string::npos) << op;
  }
  EXPECT_EQ(Split("echo 'a > b' \"c|d\""), (Words{"echo", "a > b", "c|d"}));
  EXPECT_EQ(Split("echo a\\;b"), (Words{"echo", "a;b"}));
}

}  // namespace
}  // namespace ckron::executor
