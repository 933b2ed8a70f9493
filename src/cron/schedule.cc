// Schedule::Parse: spec text -> Schedule. Next() lives in next.cc.
#include "cron/schedule.h"

#include <array>
#include <string>
#include <unordered_map>

#include "common/go_duration.h"
#include "cron/civil_search.h"
#include "cron/fields.h"
#include "cron/iso_duration.h"

namespace ckron::cron {
namespace {

using internal::FieldId;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The whitespace-separated words of `s`: up to 7 kept, `count` is the real
// number (specs need exactly 6). No allocation.
struct Words {
  std::array<std::string_view, 7> word;
  std::size_t count = 0;
  std::size_t size() const { return count; }
  std::string_view operator[](std::size_t i) const { return word[i]; }
};

Words SplitFields(std::string_view s) {
  Words out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    const std::size_t start = i;
    while (i < s.size() && !IsSpace(s[i])) ++i;
    if (i > start) {
      if (out.count < out.word.size()) out.word[out.count] = s.substr(start, i - start);
      ++out.count;
    }
  }
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Calendar descriptors and the six fields they stand for.
struct Descriptor {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Descriptor, 8> kDescriptors = {{
    {"@yearly", "0 0 0 1 1 *"},
    {"@annually", "0 0 0 1 1 *"},
    {"@monthly", "0 0 0 1 * *"},
    {"@weekly", "0 0 0 * * 0"},
    {"@daily", "0 0 0 * * *"},
    {"@midnight", "0 0 0 * * *"},
    {"@hourly", "0 0 * * * *"},
    {"@minutely", "0 * * * * *"},
}};

constexpr std::string_view kDescriptorList =
    "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @minutely, "
    "@every <duration>, @at <RFC3339 time>, @after <RFC3339 time> <<ISO 8601 duration>, "
    "@manually";

// Decodes UTF-8 code points the way Go's `for _, c := range s` does: an
// invalid byte counts as U+FFFD.
std::int64_t SumOfCodePoints(std::string_view s) {
  std::int64_t sum = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int len = b0 < 0x80           ? 1
              : (b0 >> 5) == 0x6  ? 2
              : (b0 >> 4) == 0xE  ? 3
              : (b0 >> 3) == 0x1E ? 4
                                  : 0;
    std::int64_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    bool ok = len > 0 && i + static_cast<std::size_t>(len) <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      ok = (b & 0xC0) == 0x80;
      cp = (cp << 6) | (b & 0x3F);
    }
    // Reject overlong forms and surrogates, as Go does.
    ok = ok && !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) &&
         !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      sum += 0xFFFD;
      i += 1;
    } else {
      sum += cp;
      i += static_cast<std::size_t>(len);
    }
  }
  return sum;
}

}  // namespace

std::string ExpandNameHash(std::string_view spec, std::string_view job_name) {
  if (spec.find('~') == std::string_view::npos) return std::string(spec);
  const std::int64_t h = SumOfCodePoints(job_name);
  std::string out;
  int field = 0;
  std::size_t i = 0;
  while (i < spec.size()) {
    if (IsSpace(spec[i])) {
      out += spec[i++];
      continue;
    }
    std::size_t end = i;
    while (end < spec.size() && !IsSpace(spec[end])) ++end;
    const std::string_view part = spec.substr(i, end - i);
    i = end;
    if (StartsWith(part, "@")) return std::string(spec);  // descriptors are left alone
    if (StartsWith(part, "TZ=") || StartsWith(part, "CRON_TZ=")) {
      out += part;  // the zone token is not a field
      continue;
    }
    std::int64_t v;
    switch (field) {
      case 2:
        v = h % 24;
        break;
      case 3:
        v = h % 28 + 1;
        break;
      case 4:
        v = h % 12 + 1;
        break;
      case 5:
        v = h % 7;
        break;
      default:
        v = h % 60;
        break;
    }
    for (char c : part) {
      if (c == '~') {
        out += std::to_string(v);
      } else {
        out += c;
      }
    }
    ++field;
  }
  return out;
}

// Builds Schedules; a class only so that it can reach Schedule's privates.
class Parser {
 public:
  static Result<Schedule> Parse(std::string_view raw, const ParseOptions& options) {
    std::string_view spec = Trim(raw);
    if (spec.empty()) return Status::InvalidArgument("schedule is empty");
    const std::string hashed = ExpandNameHash(spec, options.job_name);
    spec = hashed;

    Schedule s;
    // Zone: the spec's TZ= prefix, else the job's timezone, else the default.
    if (StartsWith(spec, "TZ=") || StartsWith(spec, "CRON_TZ=")) {
      const std::size_t eq = spec.find('=');
      std::size_t end = eq;
      while (end < spec.size() && !IsSpace(spec[end])) ++end;
      const std::string_view zone_name = spec.substr(eq + 1, end - eq - 1);
      CKRON_ASSIGN_OR_RETURN(s.zone_, LoadZone(zone_name));
      spec = Trim(spec.substr(end));
      if (spec.empty()) {
        return Status::InvalidArgument("nothing follows the time zone \"" + std::string(zone_name) +
                                       "\"");
      }
    } else if (!options.timezone.empty()) {
      CKRON_ASSIGN_OR_RETURN(s.zone_, LoadZone(options.timezone));
    } else {
      s.zone_ = options.default_zone;
    }

    if (StartsWith(spec, "@")) {
      CKRON_RETURN_IF_ERROR(ParseDescriptor(spec, options, s));
    } else {
      CKRON_RETURN_IF_ERROR(ParseFields(spec, s));
    }
    return s;
  }

 private:
  static Status ParseDescriptor(std::string_view spec, const ParseOptions& options, Schedule& s) {
    if (spec == "@manually") {
      s.kind_ = Schedule::Kind::kManually;
      s.expanded_ = "@manually";
      return OkStatus();
    }
    for (const Descriptor& d : kDescriptors) {
      if (spec == d.name) return ParseFields(d.fields, s);
    }
    if (StartsWith(spec, "@every") && spec.size() > 6 && IsSpace(spec[6])) {
      const std::string_view text = Trim(spec.substr(6));
      auto d = ParseGoDuration(text);
      if (!d.ok()) return d.status().WithContext("@every");
      // robfig: under a second becomes a second; otherwise whole seconds.
      s.interval_ = std::max(absl::Trunc(*d, absl::Seconds(1)), absl::Seconds(1));
      s.kind_ = Schedule::Kind::kEvery;
      if (options.every_anchor) {
        s.anchor_ = absl::FromUnixSeconds(absl::ToUnixSeconds(*options.every_anchor));
      }
      s.expanded_ = "@every " + FormatGoDuration(s.interval_);
      return OkStatus();
    }
    if (StartsWith(spec, "@at") && spec.size() > 3 && IsSpace(spec[3])) {
      auto t = ParseRfc3339(Trim(spec.substr(3)));
      if (!t.ok()) return t.status().WithContext("@at");
      s.kind_ = Schedule::Kind::kAt;
      s.when_ = *t;
      s.expanded_ = std::string(spec);
      return OkStatus();
    }
    if (StartsWith(spec, "@after") && spec.size() > 6 && IsSpace(spec[6])) {
      return ParseAfter(spec, options, s);
    }
    return Status::InvalidArgument("unknown descriptor \"" + std::string(spec) + "\" (expected " +
                                   std::string(kDescriptorList) + ")");
  }

  // @after <RFC3339> <<ISO-8601 duration> (Dkron v4.1).
  static Status ParseAfter(std::string_view spec, const ParseOptions& options, Schedule& s) {
    const auto parts = SplitFields(spec.substr(6));
    if (parts.size() != 2) {
      return Status::InvalidArgument(
          "@after requires format: @after <RFC3339 datetime> <ISO8601 duration>, e.g. "
          "\"@after 2026-01-01T00:00:00Z <PT2H\"");
    }
    auto date = ParseRfc3339(parts[0]);
    if (!date.ok()) return date.status().WithContext("@after");
    if (parts[1].front() != '<') {
      return Status::InvalidArgument("@after: grace period must start with '<', got \"" +
                                     std::string(parts[1]) + "\"");
    }
    auto grace = internal::ParseIso8601Duration(parts[1].substr(1));
    if (!grace.ok()) return grace.status().WithContext("@after");
    s.kind_ = Schedule::Kind::kAfter;
    s.when_ = *date;
    if (options.created_at && *options.created_at >= *date) {
      if (*options.created_at <= *date + *grace) {
        // Created inside the grace period: once, right away.
        s.when_ = absl::FromUnixSeconds(absl::ToUnixSeconds(*options.created_at) + 1);
      } else {
        s.never_ = true;
      }
    }
    s.interval_ = *grace;
    s.expanded_ = std::string(spec);
    return OkStatus();
  }

  static Status ParseFields(std::string_view spec, Schedule& s) {
    const auto fields = SplitFields(spec);
    if (fields.size() != 6) {
      std::string msg =
          "expected 6 fields (second minute hour day-of-month month day-of-week), found " +
          std::to_string(fields.size()) + " in \"" + std::string(spec) + "\"";
      if (fields.size() == 5) {
        msg += "; 5-field specs are not accepted: add the seconds first, e.g. \"0 " +
               std::string(spec) + "\"";
      }
      return Status::InvalidArgument(msg);
    }
    internal::ParsedField parsed[6];
    for (int i = 0; i < 6; ++i) {
      CKRON_ASSIGN_OR_RETURN(parsed[i], internal::ParseField(fields[static_cast<std::size_t>(i)],
                                                             static_cast<FieldId>(i)));
    }
    s.kind_ = Schedule::Kind::kCron;
    s.second_ = parsed[0].bits;
    s.minute_ = parsed[1].bits;
    s.hour_ = parsed[2].bits;
    s.dom_ = parsed[3].bits;
    s.month_ = parsed[4].bits;
    s.dow_ = parsed[5].bits;
    s.day_and_ = parsed[3].star || parsed[5].star;
    // Vixie cron's wildcard rule (docs/semantics.md §2.2): a minute or hour
    // field that starts with `*` (or robfig's synonym `?`) follows real time.
    const auto wild = [](std::string_view f) { return f.front() == '*' || f.front() == '?'; };
    s.real_time_ = wild(fields[1]) || wild(fields[2]);
    const internal::CalendarFields cf{s.second_, s.minute_, s.hour_,   s.dom_,
                                      s.month_,  s.dow_,    s.day_and_};
    if (!internal::CanEverMatch(cf)) {
      return Status::InvalidArgument("schedule never fires: day-of-month field \"" +
                                     std::string(fields[3]) + "\" names no day of month field \"" +
                                     std::string(fields[4]) + "\"");
    }
    s.expanded_.clear();
    for (std::size_t i = 0; i < 6; ++i) {
      if (i > 0) s.expanded_ += ' ';
      s.expanded_ += fields[i];
    }
    return OkStatus();
  }
};

namespace {

// The calendar schedules parsed most recently on this thread. The leader
// parses a job's schedule when the API admits it, when its state machine
// applies it and when its scheduler queues it; most jobs share a few specs,
// and a parse (splitting, field parsing, a zone lookup) cost more than the
// rest of those steps together. Only kinds whose result depends on nothing
// but the key are kept (not @every, @at, @after: their anchors and times
// are per job); a spec with `~` is keyed by the job's name too.
class ParseCache {
 public:
  static ParseCache& ForThisThread() {
    thread_local ParseCache cache;
    return cache;
  }

  const Schedule* Find(const std::string& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }

  void Add(std::string key, const Schedule& schedule) {
    if (map_.size() >= kMaxEntries) map_.clear();  // bounded, and simple
    map_.emplace(std::move(key), schedule);
  }

 private:
  static constexpr std::size_t kMaxEntries = 1024;
  std::unordered_map<std::string, Schedule> map_;
};

std::string CacheKey(std::string_view spec, const ParseOptions& options) {
  std::string key;
  const std::string& zone = options.default_zone.name();
  const bool named = spec.find('~') != std::string_view::npos;
  key.reserve(spec.size() + options.timezone.size() + zone.size() + 3 +
              (named ? options.job_name.size() : 0));
  key.append(spec);
  key += '\0';
  key += options.timezone;
  key += '\0';
  key += zone;
  key += '\0';
  if (named) key += options.job_name;
  return key;
}

}  // namespace

Result<Schedule> Schedule::Parse(std::string_view spec, const ParseOptions& options) {
  ParseCache& cache = ParseCache::ForThisThread();
  std::string key = CacheKey(spec, options);
  if (const Schedule* hit = cache.Find(key)) return *hit;
  Result<Schedule> parsed = Parser::Parse(spec, options);
  if (parsed.ok() && (parsed->kind() == Kind::kCron || parsed->kind() == Kind::kManually)) {
    cache.Add(std::move(key), *parsed);
  }
  return parsed;
}

}  // namespace ckron::cron
