// JobJsonText: the job answer written straight to text. Every job write is
// answered with the job, and building an ordered_json document to dump it
// was the largest single cost of an upsert on the leader
// (docs/benchmarks_rest.md). The bytes are Dump(JobToJson(job), false)'s, checked by
// json_codec_test over generated jobs; a job with a non-ASCII byte anywhere
// takes that path itself, since its escaping and the replacement of invalid
// UTF-8 are nlohmann's to define.
#include <string>
#include <string_view>

#include "api/json_codec.h"
#include "common/go_duration.h"
#include "common/json_escape.h"

namespace ckron::api {
namespace {

bool Ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool AllAscii(const fsm::Job& j) {
  const auto map_ascii = [](const fsm::StringMap& m) {
    for (const auto& [k, v] : m) {
      if (!Ascii(k) || !Ascii(v)) return false;
    }
    return true;
  };
  for (std::string_view s :
       {std::string_view(j.name), std::string_view(j.displayname), std::string_view(j.timezone),
        std::string_view(j.schedule), std::string_view(j.owner), std::string_view(j.owner_email),
        std::string_view(j.parent_job), std::string_view(j.concurrency),
        std::string_view(j.executor), std::string_view(j.status),
        std::string_view(j.misfire_policy)}) {
    if (!Ascii(s)) return false;
  }
  for (const std::string& d : j.dependent_jobs) {
    if (!Ascii(d)) return false;
  }
  for (const auto& [name, config] : j.processors) {
    if (!Ascii(name) || !map_ascii(config)) return false;
  }
  return map_ascii(j.tags) && map_ascii(j.metadata) && map_ascii(j.executor_config);
}

// An ASCII string as JSON: the escapes nlohmann's dump writes.
void String(std::string& out, std::string_view s) {
  out += '"';
  AppendJsonEscaped(out, s);
  out += '"';
}

void Key(std::string& out, std::string_view key) {
  String(out, key);
  out += ':';
}

void Map(std::string& out, const fsm::StringMap& m) {
  out += '{';
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ',';
    first = false;
    Key(out, k);
    String(out, v);
  }
  out += '}';
}

void MapOrNull(std::string& out, const fsm::StringMap& m) {
  if (m.empty()) {
    out += "null";
  } else {
    Map(out, m);
  }
}

void Time(std::string& out, const std::optional<absl::Time>& t) {
  if (t) {
    String(out, FormatGoTime(*t));
  } else {
    out += "null";
  }
}

void Duration(std::string& out, const std::optional<absl::Duration>& d) {
  if (d) {
    String(out, FormatGoDuration(*d));
  } else {
    out += "null";
  }
}

void Bool(std::string& out, bool b) {
  out += b ? "true" : "false";
}

}  // namespace

std::string JobJsonText(const fsm::Job& j) {
  if (!AllAscii(j)) return Dump(JobToJson(j), false);
  std::string out;
  out.reserve(1024);
  out += '{';
  out += "\"id\":";
  String(out, j.name);
  out += ',';
  out += "\"name\":";
  String(out, j.name);
  out += ',';
  out += "\"displayname\":";
  String(out, j.displayname);
  out += ',';
  out += "\"timezone\":";
  String(out, j.timezone);
  out += ',';
  out += "\"schedule\":";
  String(out, j.schedule);
  out += ',';
  out += "\"owner\":";
  String(out, j.owner);
  out += ',';
  out += "\"owner_email\":";
  String(out, j.owner_email);
  out += ',';
  out += "\"success_count\":";
  out += std::to_string(j.success_count);
  out += ',';
  out += "\"error_count\":";
  out += std::to_string(j.error_count);
  out += ',';
  out += "\"last_success\":";
  Time(out, j.last_success);
  out += ',';
  out += "\"last_error\":";
  Time(out, j.last_error);
  out += ',';
  out += "\"disabled\":";
  Bool(out, j.disabled);
  out += ',';
  out += "\"tags\":";
  MapOrNull(out, j.tags);
  out += ',';
  out += "\"metadata\":";
  MapOrNull(out, j.metadata);
  out += ',';
  out += "\"retries\":";
  out += std::to_string(j.retries);
  out += ',';
  out += "\"dependent_jobs\":";
  if (j.dependent_jobs.empty()) {
    out += "null";
  } else {
    out += '[';
    for (std::size_t i = 0; i < j.dependent_jobs.size(); ++i) {
      if (i > 0) out += ',';
      String(out, j.dependent_jobs[i]);
    }
    out += ']';
  }
  out += ',';
  out += "\"parent_job\":";
  String(out, j.parent_job);
  out += ',';
  out += "\"processors\":";
  out += '{';
  bool first = true;
  for (const auto& [name, config] : j.processors) {
    if (!first) out += ',';
    first = false;
    Key(out, name);
    Map(out, config);
  }
  out += '}';
  out += ',';
  out += "\"concurrency\":";
  String(out, j.concurrency);
  out += ',';
  out += "\"executor\":";
  String(out, j.executor);
  out += ',';
  out += "\"executor_config\":";
  MapOrNull(out, j.executor_config);
  out += ',';
  out += "\"status\":";
  String(out, j.status);
  out += ',';
  out += "\"next\":";
  String(out, j.next_known ? FormatGoTime(j.next) : std::string(kZeroTime));
  out += ',';
  out += "\"ephemeral\":";
  Bool(out, j.ephemeral);
  out += ',';
  out += "\"starts_at\":";
  Time(out, j.starts_at);
  out += ',';
  out += "\"expires_at\":";
  Time(out, j.expires_at);
  out += ',';
  out += "\"misfire_policy\":";
  String(out, j.misfire_policy);
  out += ',';
  out += "\"starting_deadline\":";
  Duration(out, j.starting_deadline);
  out += ',';
  out += "\"retry_backoff\":";
  Duration(out, j.retry_backoff);
  out += '}';
  return out;
}

}  // namespace ckron::api
