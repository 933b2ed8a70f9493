#include "api/sse.h"

namespace ckron::api {

std::string SseEvent(std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(name.size() + data.size() + 24);
  if (!name.empty()) {
    out += "event: ";
    for (const char c : name) out += (c == '\n' || c == '\r') ? ' ' : c;
    out += '\n';
  }
  std::size_t i = 0;
  while (true) {
    const std::size_t eol = data.find_first_of("\r\n", i);
    out += "data: ";
    out.append(data.substr(i, eol == std::string_view::npos ? std::string_view::npos : eol - i));
    out += '\n';
    if (eol == std::string_view::npos) break;
    i = eol + 1;
    if (data[eol] == '\r' && i < data.size() && data[i] == '\n') ++i;
  }
  out += '\n';
  return out;
}

}  // namespace ckron::api
