// Property test: Schedule::Next agrees with a second-by-second brute-force
// reference (reference.h) over random expressions x instants x zones,
// including DST transitions (30-minute shifts, 45-minute offsets, midnight
// transitions, negative DST, a skipped day).
//
// The generator builds each field as a set first and then writes it in a
// random syntax (lists, ranges, steps, names, `?`), so parsing is checked
// end to end against the sets. 100,000 unit-skipping cases plus 4,000
// literal second-by-second cases by default; CKRON_CRON_PROPERTY_CASES
// overrides the per-shard count.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "cron/reference.h"
#include "cron/schedule.h"

namespace ckron::cron {
namespace {

using testing::ReferenceSpec;
using testing::ReferenceWalker;

constexpr const char* kZones[] = {
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Europe/Dublin",
    "Pacific/Apia",
    "Antarctica/Troll",
    "America/St_Johns",
    "Asia/Tehran",
};
// The five zones the issue names get extra weight.
constexpr int kZoneWeights[] = {1, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1};

constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct GenField {
  std::string text;
  std::uint64_t bits = 0;
  bool star = false;
};

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  // One field with bounds [lo, hi]; explicit values are drawn from
  // [vlo, vhi] (a narrower window biases toward DST hours). `kind` 4 = month,
  // 5 = day of week.
  GenField Field(int lo, int hi, int kind, double star_weight, int vlo = -1, int vhi = -1) {
    GenField f;
    const int items = Chance(0.25) ? Uniform(2, 3) : 1;
    for (int i = 0; i < items; ++i) {
      if (i > 0) f.text += ',';
      Item(lo, hi, vlo < 0 ? lo : vlo, vhi < 0 ? hi : vhi, kind, star_weight, f);
    }
    return f;
  }

  // A random instant in 1970-2100, near an offset transition of `zone` with
  // probability `near_transition`.
  absl::Time Instant(const absl::TimeZone& zone, double near_transition) {
    const absl::Time base =
        absl::FromUnixSeconds(std::uniform_int_distribution<std::int64_t>(0, 4102444800)(rng_));
    absl::TimeZone::CivilTransition tr;
    if (Chance(near_transition) && zone.NextTransition(base, &tr)) {
      const absl::Time transition = zone.At(tr.to).trans;
      return transition - absl::Seconds(Uniform(-3600, 6 * 3600)) +
             absl::Milliseconds(Uniform(0, 999));
    }
    return base + absl::Milliseconds(Uniform(0, 999));
  }

  const char* Zone() {
    std::discrete_distribution<int> pick(std::begin(kZoneWeights), std::end(kZoneWeights));
    return kZones[pick(rng_)];
  }

 private:
  std::string Value(int v, int kind) {
    if (kind == 4 && Chance(0.3)) return Cased(kMonths[v - 1]);
    if (kind == 5 && Chance(0.3)) return Cased(kDays[v]);
    return std::to_string(v);
  }
  std::string Cased(std::string s) {
    if (Chance(0.5)) {
      for (char& c : s) c = static_cast<char>(c - 'a' + 'A');
    }
    return s;
  }

  void Item(int lo, int hi, int vlo, int vhi, int kind, double star_weight, GenField& f) {
    const int span = hi - lo + 1;
    // Small steps are more common: they make schedules fire often enough
    // for the reference walk.
    const auto step = [&] { return Chance(0.7) ? Uniform(1, 4) : Uniform(1, span); };
    const double weights[] = {star_weight, kind >= 3 ? 0.5 : 0.2, 2, 2, 2, 1, 1};
    std::discrete_distribution<int> form(std::begin(weights), std::end(weights));
    int a = Uniform(vlo, vhi), b = Uniform(vlo, vhi);
    if (a > b) std::swap(a, b);
    int start = lo, end = hi, n = 1;
    bool star = false;
    switch (form(rng_)) {
      case 0:
        f.text += "*";
        star = true;
        break;
      case 1:
        f.text += "?";
        star = true;
        break;
      case 2:
        n = step();
        f.text += "*/" + std::to_string(n);
        star = n == 1;
        break;
      case 3:
        start = end = a;
        f.text += Value(a, kind);
        break;
      case 4:
        start = a, end = b;
        f.text += Value(a, kind) + "-" + Value(b, kind);
        break;
      case 5:
        start = a, n = step();
        f.text += Value(a, kind) + "/" + std::to_string(n);
        break;
      default:
        start = a, end = b, n = step();
        f.text += Value(a, kind) + "-" + Value(b, kind) + "/" + std::to_string(n);
        break;
    }
    for (int v = start; v <= end; v += n) f.bits |= std::uint64_t{1} << v;
    f.star = f.star || star;
  }

  std::mt19937_64 rng_;
};

template <std::size_t N>
std::bitset<N> ToBits(std::uint64_t bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = (bits >> i) & 1U;
  return out;
}

std::string Describe(const std::string& spec, const char* zone, absl::Time t) {
  return "spec \"" + spec + "\" zone " + zone + " after " +
         absl::FormatTime("%Y-%m-%dT%H:%M:%E*S%Ez", t, absl::UTCTimeZone()) + " (unix ns " +
         std::to_string(absl::ToUnixNanos(t)) + ")";
}

int CasesFromEnv(int fallback) {
  const char* env = std::getenv("CKRON_CRON_PROPERTY_CASES");
  return env != nullptr ? std::atoi(env) : fallback;
}

struct RunOptions {
  std::uint64_t seed;
  int cases;
  ReferenceWalker::Mode mode;
  std::int64_t window_seconds;  // reference walk per fire
  double near_transition;       // share of instants just before a transition
};

struct RunStats {
  int fires = 0;  // fire instants compared
  int never = 0;  // specs refused as never firing (checked separately)
};

RunStats RunCases(const RunOptions& o) {
  Generator gen(o.seed);
  RunStats stats;
  int failures = 0;
  for (int i = 0; i < o.cases && failures < 10; ++i) {
    const char* zone_name = gen.Zone();
    absl::TimeZone zone;
    if (!absl::LoadTimeZone(zone_name, &zone)) {
      ADD_FAILURE() << "tzdata lacks " << zone_name;
      return stats;
    }
    // Hours biased to the early morning, where DST transitions happen.
    GenField sec = gen.Field(0, 59, 0, 1.5);
    GenField min = gen.Field(0, 59, 1, 2.0);
    GenField hour = gen.Chance(0.5) ? gen.Field(0, 23, 2, 1.0, 0, 4) : gen.Field(0, 23, 2, 2.0);
    GenField dom = gen.Field(1, 31, 3, 6.0);
    GenField mon = gen.Field(1, 12, 4, 8.0);
    GenField dow = gen.Field(0, 6, 5, 6.0);
    const std::string spec = sec.text + " " + min.text + " " + hour.text + " " + dom.text + " " +
                             mon.text + " " + dow.text;

    ReferenceSpec ref;
    ref.second = ToBits<60>(sec.bits);
    ref.minute = ToBits<60>(min.bits);
    ref.hour = ToBits<24>(hour.bits);
    ref.dom = ToBits<32>(dom.bits);
    ref.month = ToBits<13>(mon.bits);
    ref.dow = ToBits<7>(dow.bits);
    ref.dom_star = dom.star;
    ref.dow_star = dow.star;
    ref.real_time =
        min.text[0] == '*' || min.text[0] == '?' || hour.text[0] == '*' || hour.text[0] == '?';

    auto parsed = Schedule::Parse(spec, {.timezone = zone_name});
    if (!parsed.ok()) {
      // Only a spec naming no real date may be refused: its day-of-month
      // days exist in none of its months, and the day rule is AND.
      bool any = false;
      for (int m = 1; m <= 12; ++m) {
        for (int d = 1; d <= 31; ++d) {
          if (ref.month[static_cast<std::size_t>(m)] && ref.dom[static_cast<std::size_t>(d)] &&
              absl::CivilDay(2024, m, d).month() == m) {
            any = true;
          }
        }
      }
      EXPECT_FALSE(any || !(dom.star || dow.star)) << spec << ": " << parsed.status().ToString();
      ++stats.never;
      continue;
    }
    EXPECT_EQ(parsed->follows_real_time(), ref.real_time) << spec;

    const absl::Time after = gen.Instant(zone, o.near_transition);
    ReferenceWalker walker(ref, zone, after, o.mode);
    absl::Time cursor = after;
    for (int fire = 0; fire < 3; ++fire) {
      const std::optional<absl::Time> want = walker.NextFire(o.window_seconds);
      const std::optional<absl::Time> got = parsed->Next(cursor);
      if (want) {
        ++stats.fires;
        if (!got || *got != *want) {
          ++failures;
          ADD_FAILURE() << Describe(spec, zone_name, cursor)
                        << ": Next() = " << (got ? FormatRfc3339(*got, zone) : "none")
                        << ", reference = " << FormatRfc3339(*want, zone);
          break;
        }
        cursor = *want;
      } else {
        // Nothing within the walked window: Next() must lie beyond it.
        if (got && *got <= walker.position()) {
          ++failures;
          ADD_FAILURE() << Describe(spec, zone_name, cursor)
                        << ": Next() = " << FormatRfc3339(*got, zone)
                        << " but the reference saw no fire up to "
                        << FormatRfc3339(walker.position(), zone);
        }
        break;
      }
    }
  }
  return stats;
}

// 10 shards x 10,000 cases, each compared for up to 3 consecutive fires,
// with the unit-skipping walk over a 400-day window.
class NextMatchesReference : public ::testing::TestWithParam<int> {};

TEST_P(NextMatchesReference, RandomSpecsInstantsAndZones) {
  const int cases = CasesFromEnv(10'000);
  const RunStats stats = RunCases({.seed = 0x5eed0000u + static_cast<std::uint64_t>(GetParam()),
                                   .cases = cases,
                                   .mode = ReferenceWalker::Mode::kSkipUnits,
                                   .window_seconds = 400LL * 86400,
                                   .near_transition = 0.6});
  RecordProperty("fires_compared", stats.fires);
  // Most specs must fire within the window, or the test checks little.
  EXPECT_GT(stats.fires, 2 * cases) << "too few fires compared";
}

INSTANTIATE_TEST_SUITE_P(Shards, NextMatchesReference, ::testing::Range(0, 10));

// The literal walk, one second at a time, over a 2-day window from instants
// next to DST transitions: it shares nothing with the skipping walk either.
class NextMatchesEverySecondWalk : public ::testing::TestWithParam<int> {};

TEST_P(NextMatchesEverySecondWalk, NearTransitions) {
  const int cases = CasesFromEnv(10'000) / 5;
  const RunStats stats = RunCases({.seed = 0xb007u + static_cast<std::uint64_t>(GetParam()),
                                   .cases = cases,
                                   .mode = ReferenceWalker::Mode::kEverySecond,
                                   .window_seconds = 2 * 86400,
                                   .near_transition = 1.0});
  RecordProperty("fires_compared", stats.fires);
  EXPECT_GT(stats.fires, cases / 2) << "too few fires compared";
}

INSTANTIATE_TEST_SUITE_P(Shards, NextMatchesEverySecondWalk, ::testing::Range(0, 2));

}  // namespace
}  // namespace ckron::cron
