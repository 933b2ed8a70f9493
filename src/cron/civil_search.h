// Internal to cron/: the zone-free half of Next(). Finds the earliest civil
// (wall-clock) second that matches a spec's calendar fields, by jumping field
// by field (month, day, hour, minute, second) with bitmask lookups rather
// than walking time.
//
// Thread safety: pure functions.
#ifndef CKRON_CRON_CIVIL_SEARCH_H_
#define CKRON_CRON_CIVIL_SEARCH_H_

#include <cstdint>
#include <optional>

#include "absl/time/civil_time.h"

namespace ckron::cron::internal {

struct CalendarFields {
  std::uint64_t second = 0, minute = 0, hour = 0, dom = 0, month = 0, dow = 0;
  // true: a day matches when day-of-month AND day-of-week match (one of them
  // is a bare `*`); false: when either matches (both restricted).
  bool day_and = true;
};

// How far ahead a search may look. A spec that can match at all matches within
// 8 years (Feb 29 across a skipped leap year); the bound only stops runaways.
inline constexpr int kSearchYears = 400;

// The smallest civil second c with start <= c < end that matches `f`, or
// nullopt if none exists in that range (or within kSearchYears of start).
std::optional<absl::CivilSecond> NextMatch(const CalendarFields& f, absl::CivilSecond start,
                                           absl::CivilSecond end);

// False when no date can ever match: the day-of-month field names only days
// that none of the months in the month field has (e.g. "30" with "2").
bool CanEverMatch(const CalendarFields& f);

// Day of week of a civil date, 0 = Sunday.
int Weekday(std::int64_t year, int month, int day);

}  // namespace ckron::cron::internal

#endif  // CKRON_CRON_CIVIL_SEARCH_H_
