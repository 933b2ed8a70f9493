#include "executor/builtin/go_compat.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "gtest/gtest.h"

namespace ckron::executor::gocompat {
namespace {

TEST(GoCompat, QuoteEscapesLikeStrconvQuote) {
  EXPECT_EQ(Quote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\x01\"");
  EXPECT_EQ(Quote(""), "\"\"");
}

TEST(GoCompat, ParseBoolAcceptsGosSpellings) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_TRUE(*ParseBool(t)) << t;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) EXPECT_FALSE(*ParseBool(f));
  EXPECT_EQ(ParseBool("yes").status().message(),
            "strconv.ParseBool: parsing \"yes\": invalid syntax");
}

TEST(GoCompat, AtoiIsStrictAndRangeChecked) {
  EXPECT_EQ(*Atoi("30"), 30);
  EXPECT_EQ(*Atoi("+7"), 7);
  EXPECT_EQ(*Atoi("-7"), -7);
  EXPECT_EQ(*Atoi("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(*Atoi("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(Atoi("9223372036854775808").status().message(),
            "strconv.Atoi: parsing \"9223372036854775808\": value out of range");
  EXPECT_EQ(Atoi(" 1").status().message(), "strconv.Atoi: parsing \" 1\": invalid syntax");
  EXPECT_FALSE(Atoi("").ok());
  EXPECT_FALSE(Atoi("-").ok());
  EXPECT_FALSE(Atoi("1s").ok());
}

TEST(GoCompat, ErrnoAndSignalTextsAreGos) {
  EXPECT_EQ(ErrnoText(ENOENT), "no such file or directory");
  EXPECT_EQ(ErrnoText(EACCES), "permission denied");
  EXPECT_EQ(SignalText(SIGKILL), "killed");
  EXPECT_EQ(SignalText(SIGTERM), "terminated");
  EXPECT_EQ(SignalText(40), "signal 40");
}

TEST(GoCompat, WaitStatusTextIsOsExecs) {
  EXPECT_EQ(WaitStatusText(W_EXITCODE(0, 0)), "");
  EXPECT_EQ(WaitStatusText(W_EXITCODE(3, 0)), "exit status 3");
  EXPECT_EQ(WaitStatusText(W_EXITCODE(0, SIGKILL)), "signal: killed");
  EXPECT_EQ(WaitStatusText(W_EXITCODE(0, SIGSEGV) | WCOREFLAG),
            "signal: segmentation fault (core dumped)");
}

}  // namespace
}  // namespace ckron::executor::gocompat
