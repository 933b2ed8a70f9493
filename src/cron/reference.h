// Test-only: a brute-force definition of when a calendar spec fires, used to
// check Schedule::Next. It walks instants one second at a time and applies
// docs/semantics.md §2.2 literally, sharing no code with next.cc or
// civil_search.cc (only absl's instant -> wall-clock conversion and its list
// of offset transitions).
//
// In `kSkipUnits` mode it passes over a whole wall-clock day, hour or minute
// at once when that unit cannot match, but never across an offset change:
// the instants it passes over are exactly those the literal walk would have
// examined and rejected, so it is the same definition, only faster.
//
// Thread safety: a ReferenceWalker is single-threaded.
#ifndef CKRON_CRON_REFERENCE_H_
#define CKRON_CRON_REFERENCE_H_

#include <bitset>
#include <cstdint>
#include <optional>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace ckron::cron::testing {

// A calendar spec as plain sets, built by the test's generator.
struct ReferenceSpec {
  std::bitset<60> second, minute;
  std::bitset<24> hour;
  std::bitset<32> dom;    // 1-31
  std::bitset<13> month;  // 1-12
  std::bitset<7> dow;     // 0 = Sunday
  bool dom_star = false;  // a bare * or ? (robfig's star bit)
  bool dow_star = false;
  bool real_time = false;  // minute or hour field starts with * or ?

  bool Matches(const absl::CivilSecond& c) const;
  bool DayMatches(const absl::CivilSecond& c) const;
};

class ReferenceWalker {
 public:
  enum class Mode { kEverySecond, kSkipUnits };

  // Starts at `after` (exclusive).
  ReferenceWalker(const ReferenceSpec& spec, absl::TimeZone zone, absl::Time after,
                  Mode mode = Mode::kEverySecond);

  // The next fire instant within `max_seconds` of where the previous call
  // stopped; nullopt if none in that window.
  std::optional<absl::Time> NextFire(std::int64_t max_seconds);

  // The last instant examined (fires after it are not yet known).
  absl::Time position() const { return t_; }

 private:
  void EnterSegment(absl::Time t);

  const ReferenceSpec& spec_;
  absl::TimeZone zone_;
  Mode mode_;
  int offset_ = 0;                                 // UTC offset from segment start to end
  absl::Time segment_end_ = absl::InfinitePast();  // first instant of the next
  absl::Time t_;                                   // last instant examined
  absl::CivilSecond prev_cs_;                      // wall-clock time at t_
  absl::CivilSecond max_seen_;                     // greatest wall-clock time at any instant <= t_
};

}  // namespace ckron::cron::testing

#endif  // CKRON_CRON_REFERENCE_H_
