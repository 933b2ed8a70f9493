#include "executor/builtin/shellwords.h"

namespace ckron::executor {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

Status Invalid() {
  return Status::InvalidArgument("invalid command line string");
}

}  // namespace

// Mirrors go-shellwords' Parser.Parse state machine (ParseEnv and
// ParseBacktick off). It walks runes; every character it treats specially is
// ASCII, so walking bytes gives the same words for UTF-8 input.
Result<std::vector<std::string>> SplitShellWords(std::string_view line) {
  std::vector<std::string> args;
  std::string buf;
  bool escaped = false, double_quoted = false, single_quoted = false;
  bool back_quote = false, dollar_quote = false;
  enum class Got { kNo, kSingle, kQuoted } got = Got::kNo;

  for (const char r : line) {
    if (escaped) {
      escaped = false;
      got = Got::kSingle;
      if (back_quote || dollar_quote) {  // kept as written inside `...` and $(...)
        buf.push_back('\\');
        buf.push_back(r);
        continue;
      }
      buf.push_back(r == 't' ? '\t' : r == 'n' ? '\n' : r);
      continue;
    }
    if (r == '\\') {
      if (single_quoted) {
        buf.push_back(r);
      } else {
        escaped = true;
      }
      continue;
    }
    if (IsSpace(r)) {
      if (single_quoted || double_quoted || back_quote || dollar_quote) {
        buf.push_back(r);
      } else if (got != Got::kNo) {
        args.push_back(std::move(buf));
        buf.clear();
        got = Got::kNo;
      }
      continue;
    }
    switch (r) {
      case '`':
        if (!single_quoted && !double_quoted && !dollar_quote) back_quote = !back_quote;
        break;  // the backtick itself is kept (no expansion)
      case ')':
        if (!single_quoted && !double_quoted && !back_quote) {
          if (!dollar_quote) return Invalid();
          buf.push_back(r);
          dollar_quote = false;
          got = Got::kSingle;
          continue;
        }
        break;
      case '(':
        if (!single_quoted && !double_quoted && !back_quote) {
          const bool after_dollar = !buf.empty() && buf.back() == '$' &&
                                    !(buf.size() >= 2 && buf[buf.size() - 2] == '\\');
          if (dollar_quote || !after_dollar) return Invalid();
          dollar_quote = true;
          buf.push_back(r);
          continue;
        }
        break;
      case '"':
        if (!single_quoted && !dollar_quote && !back_quote) {
          if (double_quoted) got = Got::kQuoted;
          double_quoted = !double_quoted;
          continue;
        }
        break;
      case '\'':
        if (!double_quoted && !dollar_quote && !back_quote) {
          if (single_quoted) got = Got::kQuoted;
          single_quoted = !single_quoted;
          continue;
        }
        break;
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        if (!single_quoted && !double_quoted && !back_quote && !dollar_quote) {
          return Status::InvalidArgument(
              std::string("unquoted '") + r +
              "' in command: shell operators need \"shell\": \"true\" (Dkron silently ran only "
              "the words before it)");
        }
        break;
      default:
        break;
    }
    got = Got::kSingle;
    buf.push_back(r);
  }
  if (got != Got::kNo) args.push_back(std::move(buf));
  if (escaped || single_quoted || double_quoted || back_quote || dollar_quote) return Invalid();
  return args;
}

}  // namespace ckron::executor
