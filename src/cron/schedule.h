// The scheduler's "when": a parsed job schedule and its next fire times.
//
// Syntax is Dkron's (robfig/cron v3 with Dkron's extensions; docs/semantics.md
// §1 lists every form):
//   "S M H DoM Mon DoW"   six fields, seconds first; `* , - / ?`, JAN-DEC,
//                         SUN-SAT; DoM/DoW OR rule when both are restricted
//   "TZ=Zone ..." / "CRON_TZ=Zone ..."   the zone for this spec
//   @yearly @annually @monthly @weekly @daily @midnight @hourly @minutely
//   @every <Go duration>  @at <RFC3339>  @after <RFC3339> <<ISO-8601 duration>
//   @manually             never fires on its own
//   `~` in a field        replaced by a value hashed from the job name
//
// Where ckron differs from Dkron on purpose (docs/semantics.md §2):
//   * the job's time zone applies to descriptors (@daily) too;
//   * DST follows Vixie cron. A spec whose minute or hour field starts with
//     `*` follows real time: it fires at every instant whose wall-clock time
//     matches (both passes of a repeated hour, nothing inside a gap). Any
//     other spec names fixed wall-clock times, each fired exactly once: a time
//     inside a spring-forward gap fires at the first instant after the gap, a
//     time in a repeated hour at its first occurrence only.
//
// Thread safety: a Schedule is immutable after Parse; Next() is const and
// safe to call concurrently.
#ifndef CKRON_CRON_SCHEDULE_H_
#define CKRON_CRON_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/status.h"

namespace ckron::cron {

struct ParseOptions {
  // The job's name; `~` in a field is replaced by a value derived from it
  // with Dkron's formula (sum of the name's code points, reduced per field).
  std::string job_name;
  // The job's `timezone` (IANA name). Used unless the spec has a TZ=/CRON_TZ=
  // prefix. "" means `default_zone`.
  std::string timezone;
  // The zone when neither the spec nor `timezone` names one.
  absl::TimeZone default_zone = absl::UTCTimeZone();
  // @every: instants are anchor + k*interval (k >= 1), so the phase survives
  // restarts and leader changes. Unset: robfig's behaviour, each fire is
  // Next(after) = after truncated to the second + interval.
  std::optional<absl::Time> every_anchor;
  // @after: when the job was created. Created before the date: fires at the
  // date. Created within the grace period after it: fires once, at the
  // first whole second after creation. Later: never. Unset: fires at the
  // date, like @at.
  std::optional<absl::Time> created_at;
};

class Schedule {
 public:
  enum class Kind : std::uint8_t {
    kCron,      // six fields or a calendar descriptor (@daily, ...)
    kEvery,     // @every <duration>
    kAt,        // @at <time>: one shot
    kAfter,     // @after <time> <<grace>: one shot with a grace period
    kManually,  // @manually: never fires on its own
  };

  // Parses `spec`. Errors (kInvalidArgument) name the field and the token,
  // e.g. `minute field: "61" is out of range 0-59`, and never depend on the
  // time of day.
  static Result<Schedule> Parse(std::string_view spec, const ParseOptions& options = {});

  // The earliest fire instant strictly after `after`, or nullopt if the
  // schedule never fires again (one-shots that are past, @manually, and
  // calendar specs that match no date within 400 years, e.g. Feb 30).
  // Fire instants are whole seconds. Cost: a few hundred nanoseconds; it
  // computes the answer directly, never walking second by second.
  std::optional<absl::Time> Next(absl::Time after) const;

  Kind kind() const { return kind_; }
  // True for cron specs that follow real time across DST changes (minute or
  // hour field starts with `*`); false for fixed wall-clock specs.
  bool follows_real_time() const { return real_time_; }
  // The zone the spec is evaluated in.
  const absl::TimeZone& zone() const { return zone_; }
  // The spec after `~` substitution and descriptor expansion, e.g.
  // "0 0 18 * * *" (for display and debugging).
  const std::string& expanded() const { return expanded_; }
  // @every: the interval (whole seconds, at least 1s).
  absl::Duration interval() const { return interval_; }

 private:
  friend class Parser;
  Schedule() = default;

  std::optional<absl::Time> NextCalendar(absl::Time after) const;
  std::optional<absl::Time> NextEvery(absl::Time after) const;
  std::optional<absl::Time> NextOneShot(absl::Time after) const;

  Kind kind_ = Kind::kManually;
  // Calendar fields as bitmasks: bit i set when value i matches.
  std::uint64_t second_ = 0, minute_ = 0, hour_ = 0, dom_ = 0, month_ = 0, dow_ = 0;
  // robfig's rule: when either day field is a bare `*`/`?` the day matches
  // when both match (AND); when both are restricted, when either does (OR).
  bool day_and_ = true;
  bool real_time_ = false;
  absl::TimeZone zone_ = absl::UTCTimeZone();
  absl::Duration interval_;           // kEvery
  std::optional<absl::Time> anchor_;  // kEvery
  absl::Time when_;                   // kAt, kAfter: the one fire instant
  bool never_ = false;                // kAfter created past its grace period
  std::string expanded_;
};

// Dkron's `~` substitution (job.go scheduleHash): each `~` in field i of
// `spec` becomes h % 60 (second, minute), h % 24 (hour), h % 28 + 1 (day of
// month), h % 12 + 1 (month), h % 7 (day of week), with h the sum of the
// code points of `job_name`. Specs that start with `@` are returned as is.
std::string ExpandNameHash(std::string_view spec, std::string_view job_name);

// RFC 3339 with the zone's offset, e.g. "2026-03-08T03:00:00-04:00"; fractional
// seconds only when present.
std::string FormatRfc3339(absl::Time t, const absl::TimeZone& zone);

// Go's time.RFC3339 parser (fractional seconds allowed), as Dkron's @at uses.
Result<absl::Time> ParseRfc3339(std::string_view text);

// Loads an IANA zone from the system tzdata; "Local" is the process's zone and
// "" or "UTC" is UTC. Error: `unknown time zone "X"`.
Result<absl::TimeZone> LoadZone(std::string_view name);

}  // namespace ckron::cron

#endif  // CKRON_CRON_SCHEDULE_H_
