#include "dispatcher/target_selector.h"

#include <gtest/gtest.h>

namespace ckron::dispatcher {
namespace {

std::vector<Candidate> Cluster() {
  return {
      {"a", {{"region", "global"}, {"role", "web"}, {"zone", "1"}}},
      {"b", {{"region", "global"}, {"role", "web"}, {"zone", "2"}}},
      {"c", {{"region", "global"}, {"role", "db"}}},
      {"d", {{"region", "eu"}, {"role", "web"}}},
      {"serf", {{"role", "web"}}},  // no region tag: a foreign serf agent
  };
}

std::vector<std::string> Select(std::map<std::string, std::string> tags, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  return SelectTargets(tags, "global", Cluster(), rng);
}

using Names = std::vector<std::string>;

TEST(SelectTargets, NoTagsMeansEveryAliveNodeOfTheRegion) {
  EXPECT_EQ(Select({}), (Names{"a", "b", "c"}));
}

TEST(SelectTargets, AllTagsMustMatch) {
  EXPECT_EQ(Select({{"role", "web"}}), (Names{"a", "b"}));
  EXPECT_EQ(Select({{"role", "web"}, {"zone", "2"}}), Names{"b"});
  EXPECT_EQ(Select({{"role", "cache"}}), Names{});
}

TEST(SelectTargets, CountsPickThatManyAndTheSmallestCountWins) {
  EXPECT_EQ(Select({{"role", "web:1"}}).size(), 1u);
  EXPECT_EQ(Select({{"role", "web:5"}}), (Names{"a", "b"}));
  EXPECT_EQ(Select({{"role", "web:2"}, {"region", "global:1"}}).size(), 1u);
  EXPECT_EQ(Select({{"role", "web:x"}}), Names{});  // not a number: nobody (as Dkron)
  EXPECT_EQ(Select({{"role", "web:0"}}), Names{});
}

TEST(SelectTargets, PicksUniformlyAtRandom) {
  std::map<std::string, int> seen;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 30'000; ++i) {
    auto picked = SelectTargets({{"region", "global:1"}}, "global", Cluster(), rng);
    ASSERT_EQ(picked.size(), 1u);
    ++seen[picked[0]];
  }
  for (const char* n : {"a", "b", "c"}) {
    EXPECT_NEAR(seen[n], 10'000, 600) << n;  // 1/3 each (Dkron's tags_test)
  }
}

}  // namespace
}  // namespace ckron::dispatcher
