#include "membership/lzw.h"

#include <gtest/gtest.h>

#include <random>

namespace ckron::membership::lzw {
namespace {

TEST(Lzw, RoundTripsShortRepetitiveAndRandomInputs) {
  std::mt19937 rng(7);
  std::vector<std::string> inputs = {"", "a", "abababababababab", std::string(100000, 'z')};
  std::string random(50000, '\0');
  for (auto& c : random) c = static_cast<char>(rng() & 0xff);
  inputs.push_back(random);
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "node-" + std::to_string(i % 97) + " alive; ";
  inputs.push_back(text);
  for (const auto& in : inputs) {
    auto out = Decompress(Compress(in), 1 << 20);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(*out, in);
  }
}

TEST(Lzw, RefusesExpansionBeyondLimit) {
  const std::string bomb = Compress(std::string(200000, 'a'));
  auto out = Decompress(bomb, 1000);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
}

TEST(Lzw, RejectsGarbageWithoutCrashing) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = static_cast<char>(rng() & 0xff);
    (void)Decompress(junk, 4096);
  }
}

}  // namespace
}  // namespace ckron::membership::lzw
