#include "api/json_codec.h"

#include <cstdint>
#include <limits>

#include "common/go_duration.h"

namespace ckron::api {
namespace {

using nlohmann::json;

const char* TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::number_float:
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "number";
    default:
      return "value";
  }
}

Status FieldError(const std::string& field, const std::string& expected, const json& got) {
  std::string what = TypeName(got);
  if (got.is_number()) what += " " + got.dump();
  return Status::InvalidArgument("Unable to parse payload: field \"" + field + "\" must be " +
                                 expected + ", got " + what + ".");
}

// Field readers: a missing or null field leaves `out` unchanged.
class Reader {
 public:
  Reader(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  const json* Get(const char* key) const {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string Name(const std::string& key) const { return where_ + key; }

  Status String(const char* key, std::string* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_string()) return FieldError(Name(key), "a string", *v);
    *out = v->get<std::string>();
    return OkStatus();
  }
  Status Bool(const char* key, bool* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_boolean()) return FieldError(Name(key), "true or false", *v);
    *out = v->get<bool>();
    return OkStatus();
  }
  Status Int64(const char* key, std::int64_t* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    if (v->is_number_integer() && !v->is_number_unsigned()) {
      *out = v->get<std::int64_t>();
      return OkStatus();
    }
    if (v->is_number_unsigned() &&
        v->get<std::uint64_t>() <=
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      *out = static_cast<std::int64_t>(v->get<std::uint64_t>());
      return OkStatus();
    }
    return FieldError(Name(key), "an integer", *v);
  }
  Status Uint32(const char* key, std::uint32_t* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    if (v->is_number_unsigned() &&
        v->get<std::uint64_t>() <= std::numeric_limits<std::uint32_t>::max()) {
      *out = static_cast<std::uint32_t>(v->get<std::uint64_t>());
      return OkStatus();
    }
    return FieldError(Name(key), "a non-negative integer", *v);
  }
  Status StringMap(const char* key, fsm::StringMap* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    return ReadMap(*v, Name(key), out);
  }
  static Status ReadMap(const json& v, const std::string& name, fsm::StringMap* out) {
    if (!v.is_object()) return FieldError(name, "an object of strings", v);
    out->clear();
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it->is_string()) return FieldError(name + "." + it.key(), "a string", *it);
      (*out)[it.key()] = it->get<std::string>();
    }
    return OkStatus();
  }
  Status Strings(const char* key, std::vector<std::string>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_array()) return FieldError(Name(key), "an array of strings", *v);
    out->clear();
    for (std::size_t i = 0; i < v->size(); ++i) {
      const json& e = (*v)[i];
      if (!e.is_string()) {
        return FieldError(Name(key) + "[" + std::to_string(i) + "]", "a string", e);
      }
      out->push_back(e.get<std::string>());
    }
    return OkStatus();
  }
  Status Time(const char* key, std::optional<absl::Time>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_string()) return FieldError(Name(key), "an RFC 3339 time string", *v);
    auto t = ParseJobTime(v->get<std::string>());
    if (!t.ok()) {
      return Status::InvalidArgument("Unable to parse payload: field \"" + Name(key) +
                                     "\": " + t.status().message() + ".");
    }
    *out = *t;
    return OkStatus();
  }
  Status Duration(const char* key, std::optional<absl::Duration>* out) const {
    const json* v = Get(key);
    if (v == nullptr) return OkStatus();
    if (!v->is_string()) return FieldError(Name(key), "a duration string such as \"30s\"", *v);
    auto d = ParseGoDuration(v->get<std::string>());
    if (!d.ok()) {
      return Status::InvalidArgument("Unable to parse payload: field \"" + Name(key) +
                                     "\": " + d.status().message() + ".");
    }
    *out = *d;
    return OkStatus();
  }

 private:
  const json& obj_;
  std::string where_;
};

Json NullableTime(const std::optional<absl::Time>& t) {
  return t ? Json(FormatGoTime(*t)) : Json(nullptr);
}

Json MapOrNull(const fsm::StringMap& m) {
  if (m.empty()) return nullptr;
  Json out = Json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

}  // namespace

std::string FormatGoTime(absl::Time t, const absl::TimeZone& zone) {
  const absl::TimeZone::CivilInfo ci = zone.At(t);
  const std::int64_t year = ci.cs.year();
  std::string out;
  if (year < 1000 || year > 9999 || t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    out = absl::FormatTime("%Y-%m-%dT%H:%M:%E*S", t, zone);
  } else {
    // The same text as FormatTime's "%Y-%m-%dT%H:%M:%E*S", written directly:
    // every job answer carries a few times, and FormatTime (which parses its
    // format each call) was a visible part of an upsert's cost.
    char buf[32];
    std::size_t n = 0;
    const auto digits = [&](std::int64_t v, int width) {
      for (int i = width - 1; i >= 0; --i) {
        buf[n + static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
      n += static_cast<std::size_t>(width);
    };
    digits(year, 4);
    buf[n++] = '-';
    digits(ci.cs.month(), 2);
    buf[n++] = '-';
    digits(ci.cs.day(), 2);
    buf[n++] = 'T';
    digits(ci.cs.hour(), 2);
    buf[n++] = ':';
    digits(ci.cs.minute(), 2);
    buf[n++] = ':';
    digits(ci.cs.second(), 2);
    std::int64_t ns = absl::ToInt64Nanoseconds(ci.subsecond);
    if (ns > 0) {
      int width = 9;
      while (ns % 10 == 0) {
        ns /= 10;
        --width;
      }
      buf[n++] = '.';
      digits(ns, width);
    }
    out.assign(buf, n);
  }
  if (ci.offset == 0) return out + "Z";
  const int off = ci.offset < 0 ? -ci.offset : ci.offset;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", ci.offset < 0 ? '-' : '+', off / 3600,
                (off / 60) % 60);
  return out + buf;
}

Result<absl::Time> ParseJobTime(std::string_view text) {
  const std::string s(text);
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, s, &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%dT%H:%M", s, absl::UTCTimeZone(), &t, &err)) return t;
  return Status::InvalidArgument("\"" + s + "\" is neither an RFC 3339 time nor 2006-01-02T15:04");
}

absl::TimeZone JobZone(const fsm::Job& job) {
  absl::TimeZone tz = absl::UTCTimeZone();
  if (!job.timezone.empty() && !absl::LoadTimeZone(job.timezone, &tz)) tz = absl::UTCTimeZone();
  return tz;
}

Json JobToJson(const fsm::Job& j) {
  Json o = Json::object();
  o["id"] = j.name;
  o["name"] = j.name;
  o["displayname"] = j.displayname;
  o["timezone"] = j.timezone;
  o["schedule"] = j.schedule;
  o["owner"] = j.owner;
  o["owner_email"] = j.owner_email;
  o["success_count"] = j.success_count;
  o["error_count"] = j.error_count;
  o["last_success"] = NullableTime(j.last_success);
  o["last_error"] = NullableTime(j.last_error);
  o["disabled"] = j.disabled;
  o["tags"] = MapOrNull(j.tags);
  o["metadata"] = MapOrNull(j.metadata);
  o["retries"] = j.retries;
  o["dependent_jobs"] = j.dependent_jobs.empty() ? Json(nullptr) : Json(j.dependent_jobs);
  o["parent_job"] = j.parent_job;
  Json processors = Json::object();
  for (const auto& [name, config] : j.processors) {
    Json c = Json::object();
    for (const auto& [k, v] : config) c[k] = v;
    processors[name] = std::move(c);
  }
  o["processors"] = std::move(processors);
  o["concurrency"] = j.concurrency;
  o["executor"] = j.executor;
  o["executor_config"] = MapOrNull(j.executor_config);
  o["status"] = j.status;
  o["next"] = j.next_known ? FormatGoTime(j.next) : std::string(kZeroTime);
  o["ephemeral"] = j.ephemeral;
  o["starts_at"] = NullableTime(j.starts_at);
  o["expires_at"] = NullableTime(j.expires_at);
  // ckron's additions (docs/api.md).
  o["misfire_policy"] = j.misfire_policy;
  o["starting_deadline"] =
      j.starting_deadline ? Json(FormatGoDuration(*j.starting_deadline)) : Json(nullptr);
  o["retry_backoff"] = j.retry_backoff ? Json(FormatGoDuration(*j.retry_backoff)) : Json(nullptr);
  return o;
}

Result<fsm::Job> JobFromJsonValue(const json& v, const std::string& where) {
  if (!v.is_object()) {
    return Status::InvalidArgument(
        "Unable to parse payload: " + (where.empty() ? std::string("the body") : where) +
        " must be a JSON object.");
  }
  const Reader r(v, where);
  fsm::Job j;
  CKRON_RETURN_IF_ERROR(r.String("name", &j.name));
  CKRON_RETURN_IF_ERROR(r.String("displayname", &j.displayname));
  CKRON_RETURN_IF_ERROR(r.String("timezone", &j.timezone));
  CKRON_RETURN_IF_ERROR(r.String("schedule", &j.schedule));
  CKRON_RETURN_IF_ERROR(r.String("owner", &j.owner));
  CKRON_RETURN_IF_ERROR(r.String("owner_email", &j.owner_email));
  CKRON_RETURN_IF_ERROR(r.Int64("success_count", &j.success_count));
  CKRON_RETURN_IF_ERROR(r.Int64("error_count", &j.error_count));
  CKRON_RETURN_IF_ERROR(r.Time("last_success", &j.last_success));
  CKRON_RETURN_IF_ERROR(r.Time("last_error", &j.last_error));
  CKRON_RETURN_IF_ERROR(r.Bool("disabled", &j.disabled));
  CKRON_RETURN_IF_ERROR(r.StringMap("tags", &j.tags));
  CKRON_RETURN_IF_ERROR(r.StringMap("metadata", &j.metadata));
  CKRON_RETURN_IF_ERROR(r.Uint32("retries", &j.retries));
  CKRON_RETURN_IF_ERROR(r.Strings("dependent_jobs", &j.dependent_jobs));
  CKRON_RETURN_IF_ERROR(r.String("parent_job", &j.parent_job));
  if (const json* p = r.Get("processors")) {
    if (!p->is_object()) return FieldError(r.Name("processors"), "an object of objects", *p);
    for (auto it = p->begin(); it != p->end(); ++it) {
      const std::string name = r.Name("processors." + it.key());
      if (it->is_null()) {
        j.processors[it.key()];
        continue;
      }
      CKRON_RETURN_IF_ERROR(Reader::ReadMap(*it, name, &j.processors[it.key()]));
    }
  }
  CKRON_RETURN_IF_ERROR(r.String("concurrency", &j.concurrency));
  CKRON_RETURN_IF_ERROR(r.String("executor", &j.executor));
  CKRON_RETURN_IF_ERROR(r.StringMap("executor_config", &j.executor_config));
  CKRON_RETURN_IF_ERROR(r.String("status", &j.status));
  CKRON_RETURN_IF_ERROR(r.Bool("ephemeral", &j.ephemeral));
  CKRON_RETURN_IF_ERROR(r.Time("starts_at", &j.starts_at));
  CKRON_RETURN_IF_ERROR(r.Time("expires_at", &j.expires_at));
  CKRON_RETURN_IF_ERROR(r.String("misfire_policy", &j.misfire_policy));
  CKRON_RETURN_IF_ERROR(r.Duration("starting_deadline", &j.starting_deadline));
  CKRON_RETURN_IF_ERROR(r.Duration("retry_backoff", &j.retry_backoff));
  // `id`, `next` and the ckron bookkeeping fields are computed by the
  // server; Dkron ignores them on input too.
  return j;
}

Json ExecutionToJson(const fsm::Execution& e, const absl::TimeZone& zone,
                     std::optional<bool> output_truncated) {
  Json o = Json::object();
  if (!e.id.empty()) o["id"] = e.id;
  o["job_name"] = e.job_name;
  o["started_at"] = FormatGoTime(e.started_at, zone);
  o["finished_at"] = e.finished_at ? FormatGoTime(*e.finished_at, zone) : std::string(kZeroTime);
  o["success"] = e.success;
  if (!e.output.empty()) o["output"] = e.output;
  o["node_name"] = e.node_name;
  if (e.group != 0) o["group"] = e.group;
  if (e.attempt != 0) o["attempt"] = e.attempt;
  if (output_truncated) o["output_truncated"] = *output_truncated;
  return o;
}

std::string Dump(const Json& value, bool pretty) {
  return value.dump(pretty ? 4 : -1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace ckron::api
