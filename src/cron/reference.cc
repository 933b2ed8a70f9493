#include "cron/reference.h"

#include <algorithm>

namespace ckron::cron::testing {

bool ReferenceSpec::DayMatches(const absl::CivilSecond& c) const {
  if (!month[static_cast<std::size_t>(c.month())]) return false;
  const bool d = dom[static_cast<std::size_t>(c.day())];
  const auto wd = absl::GetWeekday(absl::CivilDay(c));
  // absl: Monday = 0 ... Sunday = 6; cron: Sunday = 0.
  const int cron_wd = wd == absl::Weekday::sunday ? 0 : static_cast<int>(wd) + 1;
  const bool w = dow[static_cast<std::size_t>(cron_wd)];
  // robfig: AND when either field is a star, OR when both are restricted.
  return (dom_star || dow_star) ? (d && w) : (d || w);
}

bool ReferenceSpec::Matches(const absl::CivilSecond& c) const {
  return second[static_cast<std::size_t>(c.second())] &&
         minute[static_cast<std::size_t>(c.minute())] && hour[static_cast<std::size_t>(c.hour())] &&
         DayMatches(c);
}

ReferenceWalker::ReferenceWalker(const ReferenceSpec& spec, absl::TimeZone zone, absl::Time after,
                                 Mode mode)
    : spec_(spec), zone_(zone), mode_(mode) {
  t_ = absl::FromUnixSeconds(absl::ToUnixSeconds(after));  // floor to the second
  prev_cs_ = zone_.At(t_).cs;
  // The greatest wall-clock time shown at or before t_. Offsets move by less
  // than a day, so only segments that ended within the last two days can
  // exceed the current wall-clock time; each peaks at its last second.
  max_seen_ = prev_cs_;
  absl::Time probe = t_;
  absl::TimeZone::CivilTransition tr;
  while (zone_.PrevTransition(probe, &tr)) {
    const absl::Time transition = zone_.At(tr.to).trans;
    if (t_ - transition > absl::Hours(48)) break;
    max_seen_ = std::max(max_seen_, zone_.At(transition - absl::Seconds(1)).cs);
    probe = transition - absl::Seconds(1);
  }
}

void ReferenceWalker::EnterSegment(absl::Time t) {
  offset_ = zone_.At(t).offset;
  absl::TimeZone::CivilTransition tr;
  segment_end_ = zone_.NextTransition(t, &tr) ? zone_.At(tr.to).trans : absl::InfiniteFuture();
}

std::optional<absl::Time> ReferenceWalker::NextFire(std::int64_t max_seconds) {
  const absl::Time limit = t_ + absl::Seconds(max_seconds);
  while (t_ < limit) {
    const absl::Time t = t_ + absl::Seconds(1);
    absl::CivilSecond cs;
    bool segment_start = false;
    if (t >= segment_end_) {
      EnterSegment(t);
      cs = zone_.At(t).cs;
      segment_start = true;
    } else {
      cs = prev_cs_ + 1;  // one second later, same offset
    }

    if (mode_ == Mode::kSkipUnits && !segment_start) {
      // The first wall-clock second after a unit that cannot match.
      std::optional<absl::CivilSecond> unit_end;
      if (!spec_.DayMatches(cs)) {
        unit_end = absl::CivilSecond(absl::CivilDay(cs) + 1);
      } else if (!spec_.hour[static_cast<std::size_t>(cs.hour())]) {
        unit_end = absl::CivilSecond(absl::CivilHour(cs) + 1);
      } else if (!spec_.minute[static_cast<std::size_t>(cs.minute())]) {
        unit_end = absl::CivilSecond(absl::CivilMinute(cs) + 1);
      }
      if (unit_end) {
        // Reject every instant up to wall-clock unit_end - 1 in one go,
        // stopping before the segment's end and at the window's end.
        absl::Time last = t + absl::Seconds(*unit_end - cs - 1);
        last = std::min({last, segment_end_ - absl::Seconds(1), limit});
        prev_cs_ = cs + absl::ToInt64Seconds(last - t);
        max_seen_ = std::max(max_seen_, prev_cs_);
        t_ = last;
        continue;
      }
    }

    bool fire;
    if (spec_.real_time) {
      fire = spec_.Matches(cs);
    } else {
      // Fixed wall-clock times: a time fires at its first occurrence only,
      // and times skipped by a forward jump fire at the first instant after it.
      fire = cs > max_seen_ && spec_.Matches(cs);
      for (absl::CivilSecond c = std::max(prev_cs_, max_seen_) + 1; !fire && c < cs; ++c) {
        fire = spec_.Matches(c);
      }
    }
    t_ = t;
    prev_cs_ = cs;
    max_seen_ = std::max(max_seen_, cs);
    if (fire) return t;
  }
  return std::nullopt;
}

}  // namespace ckron::cron::testing
