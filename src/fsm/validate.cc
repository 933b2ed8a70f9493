// Job validation and next-fire computation shared by the state machine and
// the API.
#include <locale.h>

#include <algorithm>
#include <clocale>
#include <cwctype>

#include "cron/schedule.h"
#include "fsm/apply.h"

namespace ckron::fsm {
namespace {

// Decodes one UTF-8 code point at s[i]; returns its length (1 for an
// invalid byte, with *cp = -1).
std::size_t DecodeUtf8(std::string_view s, std::size_t i, long* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = b0 < 0x80           ? 1
                    : (b0 >> 5) == 0x6  ? 2
                    : (b0 >> 4) == 0xE  ? 3
                    : (b0 >> 3) == 0x1E ? 4
                                        : 0;
  if (len == 0 || i + len > s.size()) {
    *cp = -1;
    return 1;
  }
  long v = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      *cp = -1;
      return 1;
    }
    v = (v << 6) | (b & 0x3F);
  }
  *cp = v;
  return len;
}

// Unicode lowercase letters (category Ll), as Go's \p{Ll}, from glibc's
// C.UTF-8 character classes.
bool IsLowercaseLetter(long cp) {
  static const locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (cp >= 'a' && cp <= 'z') return true;
  if (cp < 0x80 || utf8 == static_cast<locale_t>(nullptr)) return false;
  return iswlower_l(static_cast<wint_t>(cp), utf8) != 0;
}

}  // namespace

Status ValidateJob(const Job& job) {
  if (job.name.empty()) return Status::InvalidArgument("name cannot be empty");
  for (std::size_t i = 0; i < job.name.size();) {
    long cp = 0;
    const std::size_t len = DecodeUtf8(job.name, i, &cp);
    const bool ok = (cp >= '0' && cp <= '9') || cp == '_' || cp == '-' || IsLowercaseLetter(cp);
    if (!ok) {
      return Status::InvalidArgument("name contains illegal character '" + job.name.substr(i, len) +
                                     "'");
    }
    i += len;
  }
  if (job.parent_job == job.name) {
    return Status::InvalidArgument("the job can not have itself as parent");
  }
  if (auto zone = cron::LoadZone(job.timezone); !zone.ok()) return zone.status();
  if (!job.schedule.empty() || job.parent_job.empty()) {
    auto s = cron::Schedule::Parse(job.schedule, {.job_name = job.name, .timezone = job.timezone});
    if (!s.ok()) {
      return Status::InvalidArgument("can't parse job schedule: " + s.status().message());
    }
  }
  if (job.misfire_policy != "" && job.misfire_policy != "run_once" &&
      job.misfire_policy != "skip" && job.misfire_policy != "run_all") {
    return Status::InvalidArgument(
        "invalid misfire_policy value, use \"run_once\", \"skip\" or \"run_all\"");
  }
  if (job.starting_deadline && *job.starting_deadline < absl::ZeroDuration()) {
    return Status::InvalidArgument("starting_deadline must not be negative");
  }
  if (job.concurrency != "" && job.concurrency != "allow" && job.concurrency != "forbid" &&
      job.concurrency != "replace") {
    return Status::InvalidArgument(
        "invalid concurrency policy value, use \"allow\", \"forbid\" or \"replace\"");
  }
  return OkStatus();
}

std::optional<absl::Time> NextFire(const Job& job, absl::Time after) {
  if (job.schedule.empty()) return std::nullopt;
  auto schedule = cron::Schedule::Parse(job.schedule, {.job_name = job.name,
                                                       .timezone = job.timezone,
                                                       .default_zone = absl::UTCTimeZone(),
                                                       .every_anchor = job.schedule_anchor,
                                                       .created_at = job.schedule_anchor});
  if (!schedule.ok()) return std::nullopt;
  // The first fire at or after starts_at (Dkron shows starts_at itself as
  // `next`, even when the schedule does not fire then).
  if (job.starts_at && *job.starts_at - absl::Nanoseconds(1) > after) {
    after = *job.starts_at - absl::Nanoseconds(1);
  }
  auto next = schedule->Next(after);
  if (next && job.expires_at && *next > *job.expires_at) return std::nullopt;
  return next;
}

std::optional<absl::Time> FirstFireFrom(const Job& job, absl::Time now) {
  const absl::Time ref = job.last_fire.value_or(job.schedule_anchor);
  return NextFire(job, std::max(ref, now - absl::Nanoseconds(1)));
}

absl::TimeZone ScheduleZone(const Job& job) {
  auto schedule = cron::Schedule::Parse(
      job.schedule.empty() ? "@manually" : job.schedule,
      {.job_name = job.name, .timezone = job.timezone, .default_zone = absl::UTCTimeZone()});
  return schedule.ok() ? schedule->zone() : absl::UTCTimeZone();
}

}  // namespace ckron::fsm
