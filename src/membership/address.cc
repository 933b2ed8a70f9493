#include "membership/address.h"

#include <arpa/inet.h>

#include <charconv>

namespace ckron::membership {

std::string NormalizeIp(std::string_view raw) {
  static constexpr unsigned char kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (raw.size() == 16 &&
      raw.substr(0, 12) == std::string_view(reinterpret_cast<const char*>(kV4Prefix), 12)) {
    return std::string(raw.substr(12));
  }
  return std::string(raw);
}

Result<std::string> ParseIp(std::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return NormalizeIp(std::string_view(reinterpret_cast<char*>(buf), 16));
  }
  return Status::InvalidArgument("not an IP address: " + s);
}

std::string FormatIp(std::string_view raw) {
  char out[INET6_ADDRSTRLEN] = {0};
  if (raw.size() == 4) {
    inet_ntop(AF_INET, raw.data(), out, sizeof out);
  } else if (raw.size() == 16) {
    inet_ntop(AF_INET6, raw.data(), out, sizeof out);
  } else {
    return "";
  }
  return out;
}

std::string Address::ToString() const {
  const std::string host = FormatIp(ip);
  if (ip.size() == 16) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Result<Address> ParseAddress(std::string_view text, std::uint16_t default_port) {
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return Status::InvalidArgument("bad address: " + std::string(text));
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':')
        return Status::InvalidArgument("bad address: " + std::string(text));
      port_text = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':');
             colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  Address a;
  a.port = default_port;
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || v > 65535) {
      return Status::InvalidArgument("bad port in address: " + std::string(text));
    }
    a.port = static_cast<std::uint16_t>(v);
  }
  if (host.empty()) host = "0.0.0.0";
  CKRON_ASSIGN_OR_RETURN(a.ip, ParseIp(host));
  return a;
}

}  // namespace ckron::membership
