#include "cron/civil_search.h"

#include <bit>

namespace ckron::cron::internal {
namespace {

bool IsLeap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(std::int64_t y, int m) {
  static constexpr int kDays[] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool Has(std::uint64_t mask, int bit) {
  return (mask >> bit) & 1U;
}

// The lowest set bit >= from, or -1.
int NextBit(std::uint64_t mask, int from) {
  if (from >= 64) return -1;
  const std::uint64_t m = mask & (~std::uint64_t{0} << from);
  return m == 0 ? -1 : std::countr_zero(m);
}

bool DayMatches(const CalendarFields& f, int day, int weekday) {
  const bool dom = Has(f.dom, day);
  const bool dow = Has(f.dow, weekday);
  return f.day_and ? (dom && dow) : (dom || dow);
}

}  // namespace

int Weekday(std::int64_t year, int month, int day) {
  const std::int64_t days = DaysFromCivil(year, month, day);
  return static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
}

std::optional<absl::CivilSecond> NextMatch(const CalendarFields& f, absl::CivilSecond start,
                                           absl::CivilSecond end) {
  std::int64_t y = start.year();
  int mo = start.month(), d = start.day(), h = start.hour(), mi = start.minute(),
      s = start.second();
  const std::int64_t cap_year = start.year() + kSearchYears;
  const std::int64_t last_month =
      end.year() > cap_year ? cap_year * 12 + 12 : end.year() * 12 + end.month();

  // Each step moves to the smallest candidate >= the current one that can
  // match at that level, resetting the finer fields; `continue` re-checks
  // from the month down.
  while (true) {
    if (y * 12 + mo > last_month) return std::nullopt;
    if (!Has(f.month, mo)) {
      const int next = NextBit(f.month, mo + 1);
      if (next < 0) {
        ++y;
        mo = NextBit(f.month, 1);
      } else {
        mo = next;
      }
      d = 1, h = 0, mi = 0, s = 0;
      continue;
    }
    const int dim = DaysInMonth(y, mo);
    if (d <= dim) {
      int wd = Weekday(y, mo, d);
      while (d <= dim && !DayMatches(f, d, wd)) {
        ++d;
        wd = wd == 6 ? 0 : wd + 1;
        h = 0, mi = 0, s = 0;
      }
    }
    if (d > dim) {
      if (++mo > 12) ++y, mo = 1;
      d = 1, h = 0, mi = 0, s = 0;
      continue;
    }
    if (!Has(f.hour, h)) {
      const int next = NextBit(f.hour, h + 1);
      if (next < 0) {
        ++d, h = 0, mi = 0, s = 0;
        continue;
      }
      h = next, mi = 0, s = 0;
    }
    if (!Has(f.minute, mi)) {
      const int next = NextBit(f.minute, mi + 1);
      if (next < 0) {
        mi = 0, s = 0;
        if (++h > 23) ++d, h = 0;
        continue;
      }
      mi = next, s = 0;
    }
    if (!Has(f.second, s)) {
      const int next = NextBit(f.second, s + 1);
      if (next < 0) {
        s = 0;
        if (++mi > 59) {
          mi = 0;
          if (++h > 23) ++d, h = 0;
        }
        continue;
      }
      s = next;
    }
    const absl::CivilSecond found(y, mo, d, h, mi, s);
    if (found >= end) return std::nullopt;
    return found;
  }
}

bool CanEverMatch(const CalendarFields& f) {
  if (f.month == 0 || f.second == 0 || f.minute == 0 || f.hour == 0) return false;
  if (!f.day_and) return f.dom != 0 || f.dow != 0;  // some weekday occurs every week
  if (f.dow == 0 || f.dom == 0) return false;
  // AND with a star day-of-week: some (month, day) pair must exist. With a
  // star day-of-month any restricted weekday occurs in every month.
  for (int m = 1; m <= 12; ++m) {
    if (!Has(f.month, m)) continue;
    const int max_day = m == 2 ? 29 : DaysInMonth(2001, m);
    const std::uint64_t days_in_m = ((std::uint64_t{1} << (max_day + 1)) - 1) & ~std::uint64_t{1};
    if ((f.dom & days_in_m) != 0) return true;
  }
  return false;
}

}  // namespace ckron::cron::internal
