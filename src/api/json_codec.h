// Jobs and executions as Dkron's JSON carries them (dkron-spec §2.1, §2.2):
// the same field names, order (Go's struct order) and types, times as Go
// marshals time.Time (RFC 3339 with nanoseconds trimmed, "Z" for a zero
// offset), "0001-01-01T00:00:00Z" for a zero time and null for an unset
// nullable one. ckron's own job fields (misfire_policy, starting_deadline,
// retry_backoff) follow Dkron's.
//
// Decoding is strict about types, as Go's encoding/json is: a field of the
// wrong JSON type is refused with an error naming the field (dotted for
// nested keys: "executor_config.timeout"); unknown fields are ignored,
// null leaves a field at its default, as in Go, and of a key given twice the
// last value counts.
//
// Thread safety: pure functions.
#ifndef CKRON_API_JSON_CODEC_H_
#define CKRON_API_JSON_CODEC_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/status.h"
#include "fsm/job.h"
#include "nlohmann/json.hpp"

namespace ckron::api {

using Json = nlohmann::ordered_json;

// Go's time.Time JSON text (without quotes) in `zone`.
std::string FormatGoTime(absl::Time t, const absl::TimeZone& zone = absl::UTCTimeZone());
// The zero time, "0001-01-01T00:00:00Z".
inline constexpr char kZeroTime[] = "0001-01-01T00:00:00Z";
// RFC 3339 (any offset, optional fraction) or the HTML datetime-local form
// "2006-01-02T15:04" (UTC), as Dkron's ntime accepts. kInvalidArgument
// otherwise.
Result<absl::Time> ParseJobTime(std::string_view text);

// The job as Dkron's GET /v1/jobs/{job} returns it (id = name).
Json JobToJson(const fsm::Job& job);
// The same, compact: Dump(JobToJson(job), false)'s bytes, written without
// the document (job_writer.cc; the answer to every job write).
std::string JobJsonText(const fsm::Job& job);

// A job from a request body. Errors (kInvalidArgument), the message ready
// for the client:
//   "Unable to parse payload: <what is wrong at which byte>."  (not JSON)
//   "Unable to parse payload: the body must be a JSON object."
//   "Unable to parse payload: field \"retries\" must be a non-negative
//    integer, got -1."                                   (wrong type/value)
// A syntax error is reported before any field's error; of several bad
// fields, the first in fsm::Job's order. The body is decoded straight into
// the job (job_decoder.cc), with exactly JobFromJsonValue's results.
Result<fsm::Job> JobFromJson(std::string_view body);
// The same from parsed JSON (restore's array elements). `where` prefixes
// field names ("[2]." for the third job of an array).
Result<fsm::Job> JobFromJsonValue(const nlohmann::json& value, const std::string& where = "");

// An execution; times in `zone` (the list endpoint uses the job's zone).
// With `output_truncated`, the list endpoint's extra field is added.
Json ExecutionToJson(const fsm::Execution& execution, const absl::TimeZone& zone,
                     std::optional<bool> output_truncated = std::nullopt);

// The job's display zone: its timezone, UTC when empty or unknown.
absl::TimeZone JobZone(const fsm::Job& job);

// Serialises for a response: indented with ?pretty (Go's IndentedJSON: four
// spaces), compact otherwise. Invalid UTF-8 is replaced, never thrown.
std::string Dump(const Json& value, bool pretty);

}  // namespace ckron::api

#endif  // CKRON_API_JSON_CODEC_H_
