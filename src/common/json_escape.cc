#include "common/json_escape.h"

#include <cstdio>

namespace ckron {
namespace {

void AppendEscape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", static_cast<unsigned>(c));
      out += hex;
    }
  }
}

}  // namespace

void AppendJsonEscaped(std::string& out, std::string_view s) {
  // Runs of bytes that need no escape (nearly every byte of a name, a
  // schedule, a tag) are appended whole.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    AppendEscape(out, c);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

}  // namespace ckron
