// Text forms of times, zones and ISO-8601 durations used by schedules.
#include <string>

#include "absl/time/time.h"
#include "cron/iso_duration.h"
#include "cron/schedule.h"

namespace ckron::cron {

std::string FormatRfc3339(absl::Time t, const absl::TimeZone& zone) {
  std::string out = absl::FormatTime("%Y-%m-%dT%H:%M:%E*S%Ez", t, zone);
  // Go's RFC3339 writes a zero offset as "Z".
  if (out.size() >= 6 && out.compare(out.size() - 6, 6, "+00:00") == 0) {
    out.replace(out.size() - 6, 6, "Z");
  }
  return out;
}

Result<absl::Time> ParseRfc3339(std::string_view text) {
  // Go's time.RFC3339 layout: a 'T' separator and an offset or 'Z' are
  // required; fractional seconds are optional.
  const std::string s(text);
  absl::Time t;
  std::string err;
  const bool has_t = s.size() > 10 && s[10] == 'T';
  if (!has_t || !absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", s, &t, &err)) {
    return Status::InvalidArgument("\"" + s +
                                   "\" is not an RFC 3339 time (e.g. 2026-01-02T15:04:05Z)");
  }
  return t;
}

Result<absl::TimeZone> LoadZone(std::string_view name) {
  if (name.empty() || name == "UTC") return absl::UTCTimeZone();
  if (name == "Local") return absl::LocalTimeZone();
  // Like Go's LoadLocation: zone names are relative paths inside the tzdata.
  const bool bad_path =
      name.front() == '/' || name.find("..") != std::string_view::npos || name == "localtime";
  absl::TimeZone zone;
  if (bad_path || !absl::LoadTimeZone(std::string(name), &zone)) {
    return Status::InvalidArgument("unknown time zone \"" + std::string(name) + "\"");
  }
  return zone;
}

namespace internal {

Result<absl::Duration> ParseIso8601Duration(std::string_view text) {
  // ^P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n[.n]S)?)?$, Y = 365 days, M = 30 days,
  // as Dkron's extcron.ParseISO8601Duration.
  const auto bad = [&] {
    return Status::InvalidArgument("invalid ISO 8601 duration \"" + std::string(text) +
                                   "\" (e.g. PT2H, P1DT12H, P1Y)");
  };
  if (text.size() < 2 || text[0] != 'P') return bad();
  std::size_t i = 1;
  bool in_time = false;
  // Units in the order they must appear; `next_unit` only moves forward.
  static constexpr struct {
    char unit;
    bool time_part;
    std::int64_t seconds;
  } kUnits[] = {{'Y', false, 365 * 86400}, {'M', false, 30 * 86400}, {'D', false, 86400},
                {'H', true, 3600},         {'M', true, 60},          {'S', true, 1}};
  std::size_t next_unit = 0;
  absl::Duration total;
  bool any = false;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (in_time) return bad();
      in_time = true;
      ++i;
      while (next_unit < 3) ++next_unit;
      if (i == text.size()) break;  // "P1DT" is accepted by Dkron's regex
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i || j - i > 12) return bad();
    std::string number(text.substr(i, j - i));
    bool fraction = false;
    if (j < text.size() && text[j] == '.') {
      std::size_t k = j + 1;
      while (k < text.size() && text[k] >= '0' && text[k] <= '9') ++k;
      if (k == j + 1) return bad();
      number = std::string(text.substr(i, k - i));
      fraction = true;
      j = k;
    }
    if (j >= text.size()) return bad();
    const char unit = text[j];
    while (next_unit < 6 &&
           !(kUnits[next_unit].unit == unit && kUnits[next_unit].time_part == in_time)) {
      ++next_unit;
    }
    if (next_unit == 6) return bad();
    if (fraction && unit != 'S') return bad();  // only seconds may be fractional
    total += absl::Seconds(std::stod(number) * static_cast<double>(kUnits[next_unit].seconds));
    ++next_unit;
    any = true;
    i = j + 1;
  }
  if (!any || total <= absl::ZeroDuration()) {
    return Status::InvalidArgument("grace period \"" + std::string(text) +
                                   "\" must be greater than zero");
  }
  return total;
}

}  // namespace internal
}  // namespace ckron::cron
