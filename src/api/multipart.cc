#include "api/multipart.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace ckron::api {
namespace {

std::optional<std::string> Boundary(std::string_view content_type) {
  const std::string lower = absl::AsciiStrToLower(std::string(content_type));
  if (!absl::StartsWith(lower, "multipart/form-data")) return std::nullopt;
  const std::size_t p = lower.find("boundary=");
  if (p == std::string::npos) return std::nullopt;
  std::string_view b = content_type.substr(p + 9);
  if (const std::size_t semi = b.find(';'); semi != std::string_view::npos) b = b.substr(0, semi);
  if (b.size() >= 2 && b.front() == '"' && b.back() == '"') b = b.substr(1, b.size() - 2);
  if (b.empty() || b.size() > 70) return std::nullopt;
  return std::string(b);
}

}  // namespace

std::optional<std::string> MultipartField(std::string_view content_type, std::string_view body,
                                          std::string_view field) {
  const auto boundary = Boundary(content_type);
  if (!boundary) return std::nullopt;
  const std::string delim = "--" + *boundary;
  std::size_t pos = body.find(delim);
  while (pos != std::string_view::npos) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return std::nullopt;  // closing delimiter
    const std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return std::nullopt;
    const std::string_view headers = body.substr(pos, headers_end - pos);
    const std::size_t content = headers_end + 4;
    const std::size_t next = body.find("\r\n" + delim, content);
    if (next == std::string_view::npos) return std::nullopt;
    const std::string want = "name=\"" + std::string(field) + "\"";
    for (std::size_t line = 0; line < headers.size();) {
      std::size_t eol = headers.find("\r\n", line);
      if (eol == std::string_view::npos) eol = headers.size();
      const std::string h(headers.substr(line, eol - line));
      if (absl::StartsWithIgnoreCase(h, "content-disposition:") &&
          (h.find(want) != std::string::npos)) {
        return std::string(body.substr(content, next - content));
      }
      line = eol + 2;
    }
    pos = next + 2;
  }
  return std::nullopt;
}

}  // namespace ckron::api
