#include "common/go_duration.h"

#include <cstdint>
#include <string>

namespace ckron {
namespace {

constexpr std::uint64_t kMaxNanos = std::uint64_t{1} << 63;  // |int64 min|

// Nanoseconds per unit, as Go's unitMap.
std::uint64_t UnitNanos(std::string_view u) {
  if (u == "ns") return 1;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return 1'000;  // µs, μs
  if (u == "ms") return 1'000'000;
  if (u == "s") return 1'000'000'000;
  if (u == "m") return 60'000'000'000;
  if (u == "h") return 3'600'000'000'000;
  return 0;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

Status Invalid(std::string_view orig) {
  return Status::InvalidArgument("invalid duration \"" + std::string(orig) + "\"");
}

// Appends v/10^prec's fraction (".125"), trailing zeros and the point omitted
// when zero; returns v/10^prec.
std::uint64_t FormatFraction(std::string& out, std::uint64_t v, int prec) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    auto digit = static_cast<char>(v % 10);
    print = print || digit != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + digit));
    v /= 10;
  }
  if (print) out.insert(0, "." + digits);
  return v;
}

}  // namespace

Result<absl::Duration> ParseGoDuration(std::string_view text) {
  const std::string_view orig = text;
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) return Invalid(orig);

  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || IsDigit(s[0]))) return Invalid(orig);
    // Integer part.
    std::uint64_t v = 0;
    std::size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      if (v > kMaxNanos / 10) return Invalid(orig);  // overflow
      v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (v > kMaxNanos) return Invalid(orig);
    }
    const bool pre = i > 0;
    s.remove_prefix(i);
    // Fraction part: keep the digits that fit, like Go's leadingFraction.
    std::uint64_t f = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      std::size_t j = 0;
      bool overflow = false;
      for (; j < s.size() && IsDigit(s[j]); ++j) {
        if (overflow) continue;
        if (f > (std::uint64_t{1} << 63) / 10) {
          overflow = true;
          continue;
        }
        f = f * 10 + static_cast<std::uint64_t>(s[j] - '0');
        scale *= 10;
      }
      post = j > 0;
      s.remove_prefix(j);
    }
    if (!pre && !post) return Invalid(orig);
    // Unit.
    std::size_t k = 0;
    while (k < s.size() && s[k] != '.' && !IsDigit(s[k])) ++k;
    if (k == 0) {
      return Status::InvalidArgument("missing unit in duration \"" + std::string(orig) + "\"");
    }
    const std::string_view unit_text = s.substr(0, k);
    s.remove_prefix(k);
    const std::uint64_t unit = UnitNanos(unit_text);
    if (unit == 0) {
      return Status::InvalidArgument("unknown unit \"" + std::string(unit_text) +
                                     "\" in duration \"" + std::string(orig) + "\"");
    }
    if (v > kMaxNanos / unit) return Invalid(orig);
    v *= unit;
    if (f > 0) {
      v += static_cast<std::uint64_t>(static_cast<double>(f) * (static_cast<double>(unit) / scale));
      if (v > kMaxNanos) return Invalid(orig);
    }
    total += v;
    if (total > kMaxNanos) return Invalid(orig);
  }
  if (!neg && total > kMaxNanos - 1) return Invalid(orig);
  const auto nanos = static_cast<std::int64_t>(neg ? (~total + 1) : total);
  return absl::Nanoseconds(nanos);
}

std::string FormatGoDuration(absl::Duration d) {
  const std::int64_t nanos = absl::ToInt64Nanoseconds(d);
  const bool neg = nanos < 0;
  std::uint64_t u = static_cast<std::uint64_t>(nanos);
  if (neg) u = ~u + 1;
  std::string out;
  if (u == 0) return "0s";
  if (u < 1'000'000'000) {
    // Sub-second: the largest unit below a second, with a fraction.
    int prec;
    if (u < 1'000) {
      prec = 0;
      out = "ns";
    } else if (u < 1'000'000) {
      prec = 3;
      out = "\xC2\xB5s";  // µs, as Go prints it
    } else {
      prec = 6;
      out = "ms";
    }
    u = FormatFraction(out, u, prec);
    out.insert(0, std::to_string(u));
  } else {
    out = "s";
    u = FormatFraction(out, u, 9);  // u: whole seconds
    out.insert(0, std::to_string(u % 60));
    u /= 60;  // minutes
    if (u > 0) {
      out.insert(0, std::to_string(u % 60) + "m");
      u /= 60;  // hours
      if (u > 0) out.insert(0, std::to_string(u) + "h");
    }
  }
  if (neg) out.insert(0, "-");
  return out;
}

}  // namespace ckron
