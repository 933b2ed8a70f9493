#include "executor/builtin/go_compat.h"

#include <string.h>
#include <sys/wait.h>

#include <array>
#include <limits>

namespace ckron::executor::gocompat {

std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
          out += "\\x";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
      }
    }
  }
  out.push_back('"');
  return out;
}

std::string_view TrimSpace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  const std::size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

Result<bool> ParseBool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False") {
    return false;
  }
  return Status::InvalidArgument("strconv.ParseBool: parsing " + Quote(s) + ": invalid syntax");
}

Result<std::int64_t> Atoi(std::string_view s) {
  const auto fail = [s](const char* why) {
    return Status::InvalidArgument("strconv.Atoi: parsing " + Quote(s) + ": " + why);
  };
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return fail("invalid syntax");
  // Accumulate as a negative number: its range is one larger.
  std::int64_t value = 0;
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  bool overflow = false;
  for (const char c : digits) {
    if (c < '0' || c > '9') return fail("invalid syntax");
    const int d = c - '0';
    if (value < (kMin + d) / 10) overflow = true;
    if (!overflow) value = value * 10 - d;
  }
  if (overflow || (!negative && value == kMin)) return fail("value out of range");
  return negative ? value : -value;
}

std::string ErrnoText(int err) {
  const char* text = strerrordesc_np(err);
  if (text == nullptr) return "errno " + std::to_string(err);
  std::string out(text);
  // glibc capitalises ("No such file or directory"); Go does not.
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z' &&
      !(out.size() > 1 && out[1] >= 'A' && out[1] <= 'Z')) {
    out[0] = static_cast<char>(out[0] - 'A' + 'a');
  }
  return out;
}

std::string SignalText(int sig) {
  // Go's syscall signalList for linux/amd64.
  static constexpr std::array<const char*, 32> kNames = {
      nullptr,
      "hangup",
      "interrupt",
      "quit",
      "illegal instruction",
      "trace/breakpoint trap",
      "aborted",
      "bus error",
      "floating point exception",
      "killed",
      "user defined signal 1",
      "segmentation fault",
      "user defined signal 2",
      "broken pipe",
      "alarm clock",
      "terminated",
      "stack fault",
      "child exited",
      "continued",
      "stopped (signal)",
      "stopped",
      "stopped (tty input)",
      "stopped (tty output)",
      "urgent I/O condition",
      "CPU time limit exceeded",
      "file size limit exceeded",
      "virtual timer expired",
      "profiling timer expired",
      "window changed",
      "I/O possible",
      "power failure",
      "bad system call",
  };
  if (sig > 0 && static_cast<std::size_t>(sig) < kNames.size())
    return kNames[static_cast<std::size_t>(sig)];
  return "signal " + std::to_string(sig);
}

std::string WaitStatusText(int wait_status) {
  if (WIFEXITED(wait_status)) {
    const int code = WEXITSTATUS(wait_status);
    return code == 0 ? "" : "exit status " + std::to_string(code);
  }
  if (WIFSIGNALED(wait_status)) {
    std::string out = "signal: " + SignalText(WTERMSIG(wait_status));
    if (WCOREDUMP(wait_status)) out += " (core dumped)";
    return out;
  }
  return "exit status unknown (wait status " + std::to_string(wait_status) + ")";
}

}  // namespace ckron::executor::gocompat
