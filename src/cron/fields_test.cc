#include "cron/fields.h"

#include <gtest/gtest.h>

namespace ckron::cron::internal {
namespace {

std::uint64_t Bits(std::initializer_list<int> values) {
  std::uint64_t b = 0;
  for (int v : values) b |= std::uint64_t{1} << v;
  return b;
}

ParsedField Must(std::string_view text, FieldId id) {
  auto f = ParseField(text, id);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status().ToString();
  return f.value_or(ParsedField{});
}

TEST(ParseField, StarCoversTheRangeAndSetsTheStarBit) {
  ParsedField f = Must("*", FieldId::kDayOfMonth);
  EXPECT_EQ(f.bits, Bits({1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}));
  EXPECT_TRUE(f.star);
  EXPECT_TRUE(Must("?", FieldId::kDayOfWeek).star);
  EXPECT_TRUE(Must("*/1", FieldId::kDayOfWeek).star);
  EXPECT_FALSE(Must("*/2", FieldId::kDayOfWeek).star);  // robfig drops it for step > 1
  EXPECT_FALSE(Must("0-6", FieldId::kDayOfWeek).star);
}

TEST(ParseField, StepsRangesAndLists) {
  EXPECT_EQ(Must("*/20", FieldId::kMinute).bits, Bits({0, 20, 40}));
  EXPECT_EQ(Must("5/20", FieldId::kMinute).bits, Bits({5, 25, 45}));
  EXPECT_EQ(Must("10-30/10", FieldId::kMinute).bits, Bits({10, 20, 30}));
  EXPECT_EQ(Must("1,3-4,*/12", FieldId::kHour).bits, Bits({0, 1, 3, 4, 12}));
  EXPECT_EQ(Must("*/100", FieldId::kSecond).bits, Bits({0}));
}

TEST(ParseField, NamesAreCaseInsensitiveAndFieldSpecific) {
  EXPECT_EQ(Must("JAN-mar", FieldId::kMonth).bits, Bits({1, 2, 3}));
  EXPECT_EQ(Must("Sun,SAT", FieldId::kDayOfWeek).bits, Bits({0, 6}));
  EXPECT_FALSE(ParseField("mon", FieldId::kMonth).ok());
  EXPECT_FALSE(ParseField("jan", FieldId::kHour).ok());
}

}  // namespace
}  // namespace ckron::cron::internal
