#include "cron/fields.h"

#include <array>
#include <string>

namespace ckron::cron::internal {
namespace {

constexpr std::array<FieldBounds, 6> kBounds = {{
    {"second", 0, 59},
    {"minute", 0, 59},
    {"hour", 0, 23},
    {"day-of-month", 1, 31},
    {"month", 1, 12},
    {"day-of-week", 0, 6},
}};

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

std::string Quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

Status FieldError(FieldId id, std::string_view token, std::string_view what) {
  return Status::InvalidArgument(std::string(BoundsOf(id).name) + " field: " + Quote(token) +
                                 std::string(what));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == s.npos;
}

// REQUIRES: AllDigits(s) && s.size() <= 9.
int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// `minute field: "ab" is not a number` when the value is the whole token,
// `minute field: "1-ab": "ab" is not a number` otherwise.
Status ValueError(FieldId id, std::string_view token, std::string_view value,
                  std::string_view problem) {
  if (value == token) return FieldError(id, token, " " + std::string(problem));
  return FieldError(id, token, ": " + Quote(value) + " " + std::string(problem));
}

// Parses a number or (in month/day-of-week fields) a name. On error returns
// -1 and sets *error; `token` is the whole range expression, for messages.
int ParseValue(std::string_view text, FieldId id, std::string_view token, Status* error) {
  if (id == FieldId::kMonth) {
    for (std::size_t i = 0; i < kMonthNames.size(); ++i) {
      if (EqualsIgnoreCase(text, kMonthNames[i])) return static_cast<int>(i) + 1;
    }
  } else if (id == FieldId::kDayOfWeek) {
    for (std::size_t i = 0; i < kDayNames.size(); ++i) {
      if (EqualsIgnoreCase(text, kDayNames[i])) return static_cast<int>(i);
    }
  }
  if (AllDigits(text) && text.size() <= 9) return ToInt(text);
  const FieldBounds& b = BoundsOf(id);
  std::string problem;
  if (text.empty()) {
    *error = FieldError(id, token, ": a number is missing");
    return -1;
  }
  if (AllDigits(text)) {
    problem = "is out of range " + std::to_string(b.min) + "-" + std::to_string(b.max);
  } else if (id == FieldId::kMonth) {
    problem = "is not a number or month name (JAN-DEC)";
  } else if (id == FieldId::kDayOfWeek) {
    problem = "is not a number or weekday name (SUN-SAT)";
  } else {
    problem = "is not a number";
  }
  *error = ValueError(id, token, text, problem);
  return -1;
}

Status OutOfRange(FieldId id, std::string_view token, int value, bool whole_token) {
  const FieldBounds& b = BoundsOf(id);
  std::string range = " is out of range " + std::to_string(b.min) + "-" + std::to_string(b.max);
  if (id == FieldId::kDayOfWeek && value == 7) range += " (Sunday is 0)";
  if (whole_token) return FieldError(id, token, range);
  return FieldError(id, token, ": " + std::to_string(value) + range);
}

// Up to three pieces of `s` split on `sep`; `count` is the real number of
// pieces (callers reject more than they allow). No allocation.
struct Pieces {
  std::array<std::string_view, 3> part;
  std::size_t count = 0;
};

Pieces Split(std::string_view s, char sep) {
  Pieces p;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (p.count < p.part.size()) {
      p.part[p.count] = s.substr(start, pos == s.npos ? s.npos : pos - start);
    }
    ++p.count;
    if (pos == s.npos) return p;
    start = pos + 1;
  }
}

Result<ParsedField> ParseRange(std::string_view token, FieldId id) {
  const FieldBounds& b = BoundsOf(id);
  const Pieces range_and_step = Split(token, '/');
  if (range_and_step.count > 2) return FieldError(id, token, ": too many '/'");
  const Pieces low_high = Split(range_and_step.part[0], '-');

  ParsedField out;
  int start = 0, end = 0;
  bool whole_token_value = false;
  if (low_high.part[0] == "*" || low_high.part[0] == "?") {
    // robfig ignores anything after "*-"; so do we, for compatibility.
    start = b.min;
    end = b.max;
    out.star = true;
  } else {
    if (low_high.part[0].empty() && low_high.count > 1) {
      return FieldError(id, token, ": negative numbers are not allowed");
    }
    if (low_high.count > 2) return FieldError(id, token, ": too many '-'");
    Status error;
    start = ParseValue(low_high.part[0], id, token, &error);
    if (start < 0) return error;
    end = start;
    if (low_high.count == 2) {
      end = ParseValue(low_high.part[1], id, token, &error);
      if (end < 0) return error;
    }
    whole_token_value = low_high.count == 1 && range_and_step.count == 1;
  }

  int step = 1;
  if (range_and_step.count == 2) {
    const std::string_view step_text = range_and_step.part[1];
    step = AllDigits(step_text) && step_text.size() <= 9 ? ToInt(step_text) : 0;
    if (step <= 0) return FieldError(id, token, ": step must be a positive number");
    if (low_high.count == 1 && !out.star) end = b.max;  // "N/step" = N-max/step
    if (step > 1) out.star = false;
  }

  if (start < b.min) return OutOfRange(id, token, start, whole_token_value);
  if (end > b.max) return OutOfRange(id, token, end, whole_token_value);
  if (start > end) {
    return FieldError(
        id, token,
        ": range start " + std::to_string(start) + " is after its end " + std::to_string(end));
  }
  for (int v = start; v <= end; v += step) out.bits |= std::uint64_t{1} << v;
  return out;
}

}  // namespace

const FieldBounds& BoundsOf(FieldId id) {
  return kBounds[static_cast<std::size_t>(id)];
}

Result<ParsedField> ParseField(std::string_view text, FieldId id) {
  ParsedField field;
  bool any = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == text.npos) comma = text.size();
    const std::string_view item = text.substr(start, comma - start);
    start = comma + 1;
    if (item.empty()) continue;  // robfig skips empty list items
    CKRON_ASSIGN_OR_RETURN(ParsedField range, ParseRange(item, id));
    field.bits |= range.bits;
    field.star = field.star || range.star;
    any = true;
  }
  if (!any) return FieldError(id, text, " selects no values");
  return field;
}

}  // namespace ckron::cron::internal
