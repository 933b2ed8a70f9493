#include "config/values.h"

#include <gtest/gtest.h>

namespace ckron::config::internal {
namespace {

TEST(ParseGoBool, AcceptsExactlyGoForms) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"})
    EXPECT_EQ(ParseGoBool(t), true) << t;
  for (const char* t : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_EQ(ParseGoBool(t), false) << t;
  }
  for (const char* t : {"", "yes", "no", "on", "tRUE", " true", "2"}) {
    EXPECT_EQ(ParseGoBool(t), std::nullopt) << t;
  }
}

TEST(SplitItems, CommaModeKeepsSpacesInsideItems) {
  EXPECT_EQ(SplitItems("a, b ,,c d", ListSplit::kComma),
            (std::vector<std::string>{"a", "b", "c d"}));
  EXPECT_TRUE(SplitItems("", ListSplit::kComma).empty());
}

TEST(SplitItems, EnvModeSplitsAtSpacesToo) {
  EXPECT_EQ(SplitItems(" a  b,c\td ", ListSplit::kCommaOrSpace),
            (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(Expectation, DescribesTypeAndRange) {
  EXPECT_EQ(Expectation(*FindKey("rpc-port")), "an integer 1-65535");
  EXPECT_EQ(Expectation(*FindKey("retry-max")), "an integer >= 0");
  EXPECT_EQ(Expectation(*FindKey("server")), "a boolean (true or false)");
  EXPECT_EQ(Expectation(*FindKey("retry-interval")), "a Go duration such as 30s or 1h30m");
}

TEST(AssignText, IntegersAcceptPlusSignButNotSpacesOrFractions) {
  AgentConfig c;
  EXPECT_TRUE(AssignText(*FindKey("rpc-port"), "+7000", ListSplit::kComma, c).ok());
  EXPECT_EQ(c.rpc_port, 7000);
  EXPECT_FALSE(AssignText(*FindKey("rpc-port"), " 7000", ListSplit::kComma, c).ok());
  EXPECT_FALSE(AssignText(*FindKey("rpc-port"), "70.0", ListSplit::kComma, c).ok());
  EXPECT_FALSE(AssignText(*FindKey("rpc-port"), "99999999999999999999", ListSplit::kComma, c).ok());
}

}  // namespace
}  // namespace ckron::config::internal
