// Internal to cron/: one calendar field of a spec ("*/15", "MON-FRI", "1,15")
// parsed into a bitmask. Not part of the module's interface.
//
// Thread safety: pure functions over immutable tables.
#ifndef CKRON_CRON_FIELDS_H_
#define CKRON_CRON_FIELDS_H_

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace ckron::cron::internal {

enum class FieldId : std::uint8_t { kSecond, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek };

struct FieldBounds {
  std::string_view name;  // "minute", used in error messages
  int min;
  int max;
};

const FieldBounds& BoundsOf(FieldId id);

struct ParsedField {
  std::uint64_t bits = 0;  // bit v set when value v matches
  // True when the field is a bare `*` or `?` (also `*/1`): robfig's "star"
  // marker, which decides the day-of-month/day-of-week AND/OR rule.
  bool star = false;
};

// Parses one field with robfig/cron v3's grammar:
//   field := range ("," range)*      (empty items are skipped)
//   range := ("*" | "?" | value ["-" value]) ["/" step]
//   value := decimal | month name (JAN-DEC) | weekday name (SUN-SAT)
// "N/step" means N-max/step. Errors name the field and the token, e.g.
// `minute field: "61" is out of range 0-59`.
Result<ParsedField> ParseField(std::string_view text, FieldId id);

}  // namespace ckron::cron::internal

#endif  // CKRON_CRON_FIELDS_H_
