// Schedule::Next: from calendar fields and a zone to the next fire instant.
//
// The zone-free search (civil_search.cc) finds wall-clock times; this file
// maps them to instants under the DST rules of docs/semantics.md §2.2:
//   real-time specs  fire at every instant whose wall-clock time matches;
//   fixed specs      map each matching wall-clock time to one instant:
//                    unique -> itself, skipped (in a gap) -> the first
//                    instant after the gap, repeated -> its first occurrence.
#include "absl/time/civil_time.h"
#include "cron/civil_search.h"
#include "cron/schedule.h"

namespace ckron::cron {
namespace {

using TimeInfo = absl::TimeZone::TimeInfo;

const absl::CivilSecond kEpoch(1970, 1, 1, 0, 0, 0);

absl::Time FloorSecond(absl::Time t) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(t));
}

// The instant whose wall-clock time is `c` at UTC offset `offset_seconds`.
absl::Time InstantOf(absl::CivilSecond c, int offset_seconds) {
  return absl::FromUnixSeconds((c - kEpoch) - offset_seconds);
}

// Beyond any reachable search: used as "no end".
absl::CivilSecond FarEnd(absl::CivilSecond from) {
  return absl::CivilSecond(from.year() + internal::kSearchYears + 1, 1, 1, 0, 0, 0);
}

}  // namespace

std::optional<absl::Time> Schedule::Next(absl::Time after) const {
  switch (kind_) {
    case Kind::kCron:
      return NextCalendar(after);
    case Kind::kEvery:
      return NextEvery(after);
    case Kind::kAt:
    case Kind::kAfter:
      return NextOneShot(after);
    case Kind::kManually:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<absl::Time> Schedule::NextCalendar(absl::Time after) const {
  const internal::CalendarFields f{second_, minute_, hour_, dom_, month_, dow_, day_and_};
  const absl::Time a = FloorSecond(after);

  if (real_time_) {
    // Walk the zone's constant-offset segments from a+1s; inside a segment
    // wall-clock time is monotonic, so the first match is the answer.
    absl::Time t0 = a + absl::Seconds(1);
    for (int segment = 0; segment < 4 * internal::kSearchYears; ++segment) {
      const absl::TimeZone::CivilInfo info = zone_.At(t0);
      absl::TimeZone::CivilTransition tr;
      const bool more = zone_.NextTransition(t0, &tr);
      const absl::CivilSecond end = more ? tr.from : FarEnd(info.cs);
      if (auto c = internal::NextMatch(f, info.cs, end)) return InstantOf(*c, info.offset);
      if (!more) return std::nullopt;
      t0 = InstantOf(tr.from, info.offset);  // the transition instant
    }
    return std::nullopt;
  }

  // Fixed wall-clock times: the mapping civil -> instant is monotonic, so
  // the answer is the first match at or after the first civil time whose
  // instant lies after `a`.
  const absl::TimeZone::CivilInfo ia = zone_.At(a);
  absl::CivilSecond c0 = ia.cs + 1;
  const TimeInfo here = zone_.At(ia.cs);
  if (here.kind == TimeInfo::REPEATED && a >= here.trans) {
    // `a` is in the second pass of a repeated hour, whose wall-clock times
    // all fired in the first pass: resume after the repeated range.
    c0 = zone_.At(here.trans - absl::Seconds(1)).cs + 1;
  }
  const auto c = internal::NextMatch(f, c0, FarEnd(c0));
  if (!c) return std::nullopt;
  const TimeInfo ti = zone_.At(*c);
  return ti.kind == TimeInfo::SKIPPED ? ti.trans : ti.pre;
}

std::optional<absl::Time> Schedule::NextEvery(absl::Time after) const {
  const std::int64_t step = absl::ToInt64Seconds(interval_);
  const std::int64_t a = absl::ToUnixSeconds(after);     // floor
  if (!anchor_) return absl::FromUnixSeconds(a + step);  // robfig: truncate + interval
  const std::int64_t anchor = absl::ToUnixSeconds(*anchor_);
  // Smallest k >= 1 with anchor + k*step > a.
  const std::int64_t diff = a - anchor;
  std::int64_t k = diff < 0 ? 1 : diff / step + 1;
  if (k < 1) k = 1;
  return absl::FromUnixSeconds(anchor + k * step);
}

std::optional<absl::Time> Schedule::NextOneShot(absl::Time after) const {
  if (never_ || when_ <= after) return std::nullopt;
  return when_;
}

}  // namespace ckron::cron
