#include "config/sockaddr_template.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"

namespace ckron::config {
namespace {

// ---------------------------------------------------------------- networks

struct Ip {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
};

std::optional<Ip> ParseIp(std::string_view text) {
  const std::string s(text);
  Ip ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  ip.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

struct Network {
  Ip base;
  int prefix = 0;
  bool Contains(const Ip& ip) const {
    if (ip.v6 != base.v6) return false;
    int bits = prefix;
    for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
      const int mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((ip.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
    }
    return true;
  }
};

std::optional<Network> ParseCidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  auto ip = ParseIp(text.substr(0, slash));
  if (!ip) return std::nullopt;
  Network n{*ip, ip->v6 ? 128 : 32};
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || prefix < 0 || prefix > n.prefix) {
      return std::nullopt;
    }
    n.prefix = prefix;
  }
  return n;
}

bool InAny(const Ip& ip, std::span<const char* const> cidrs) {
  for (const char* c : cidrs) {
    if (ParseCidr(c)->Contains(ip)) return true;
  }
  return false;
}

// RFC 6890 special-purpose blocks, as go-sockaddr lists them (its "6890").
constexpr const char* kRfc6890[] = {
    "0.0.0.0/8",          "10.0.0.0/8",    "100.64.0.0/10",   "127.0.0.0/8",    "169.254.0.0/16",
    "172.16.0.0/12",      "192.0.0.0/24",  "192.0.0.0/29",    "192.0.2.0/24",   "192.88.99.0/24",
    "192.168.0.0/16",     "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
    "255.255.255.255/32", "::1/128",       "::/128",          "64:ff9b::/96",   "::ffff:0:0/96",
    "100::/64",           "2001::/16",     "2002::/16",       "fc00::/7",       "fe80::/10"};
// Blocks RFC 6890 marks not forwardable (go-sockaddr's ForwardingBlacklist).
constexpr const char* kNotForwardable[] = {
    "0.0.0.0/8",       "127.0.0.0/8",    "169.254.0.0/16", "192.0.0.0/24",       "192.0.2.0/24",
    "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",    "255.255.255.255/32", "::1/128",
    "::/128",          "::ffff:0:0/96",  "2001:db8::/32",  "2001:10::/28",       "fe80::/10"};

bool IsForwardable(const InterfaceAddress& a) {
  auto ip = ParseIp(a.ip);
  return ip && !InAny(*ip, kNotForwardable);
}
bool IsRfc6890(const InterfaceAddress& a) {
  auto ip = ParseIp(a.ip);
  return ip && InAny(*ip, kRfc6890);
}

// go-sockaddr's "default,type,size" order: the default-route interface
// first, IPv4 before IPv6, then the smaller network (longer prefix) first.
void SortDefaultTypeSize(std::vector<InterfaceAddress>& v) {
  std::stable_sort(v.begin(), v.end(), [](const InterfaceAddress& a, const InterfaceAddress& b) {
    if (a.default_route != b.default_route) return a.default_route;
    if (a.ipv6 != b.ipv6) return !a.ipv6;
    const int size_a = (a.ipv6 ? 128 : 32) - a.prefix_length;
    const int size_b = (b.ipv6 ? 128 : 32) - b.prefix_length;
    return size_a < size_b;
  });
}

std::vector<InterfaceAddress> Filter(std::span<const InterfaceAddress> in, auto keep) {
  std::vector<InterfaceAddress> out;
  for (const auto& a : in) {
    if (keep(a)) out.push_back(a);
  }
  return out;
}

std::vector<InterfaceAddress> PrivateInterfaces(std::span<const InterfaceAddress> all) {
  auto v = Filter(all, [](const auto& a) { return a.up && IsForwardable(a) && IsRfc6890(a); });
  SortDefaultTypeSize(v);
  return v;
}

std::vector<InterfaceAddress> PublicInterfaces(std::span<const InterfaceAddress> all) {
  auto v = Filter(all, [](const auto& a) { return a.up && IsForwardable(a) && !IsRfc6890(a); });
  SortDefaultTypeSize(v);
  return v;
}

// ---------------------------------------------------------------- parsing

struct Call {
  std::string fn;
  std::vector<std::string> args;
};
using Pipeline = std::vector<Call>;

constexpr std::string_view kSupported =
    "supported: GetPrivateIP, GetPublicIP, GetPrivateIPs, GetPublicIPs, "
    "GetInterfaceIP \"NAME\", or GetAllInterfaces|GetDefaultInterfaces|"
    "GetPrivateInterfaces|GetPublicInterfaces piped through include/exclude/limit/offset "
    "and ending in attr or join";

Status Unsupported(std::string_view tmpl, std::string_view why) {
  return Status::InvalidArgument("unsupported go-sockaddr template \"" + std::string(tmpl) +
                                 "\": " + std::string(why) + " (" + std::string(kSupported) + ")");
}

// Tokenizes and parses the inside of one {{ ... }}.
Result<Pipeline> ParsePipeline(std::string_view tmpl, std::string_view body) {
  Pipeline p;
  Call cur;
  std::size_t i = 0;
  auto finish_call = [&]() -> Status {
    if (cur.fn.empty()) return Unsupported(tmpl, "empty pipeline stage");
    p.push_back(std::move(cur));
    cur = Call{};
    return OkStatus();
  };
  while (i < body.size()) {
    const char c = body[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '|') {
      CKRON_RETURN_IF_ERROR(finish_call());
      ++i;
    } else if (c == '"' || c == '`') {
      std::string s;
      std::size_t j = i + 1;
      for (; j < body.size() && body[j] != c; ++j) {
        if (c == '"' && body[j] == '\\' && j + 1 < body.size()) ++j;
        s += body[j];
      }
      if (j >= body.size()) return Unsupported(tmpl, "unterminated string");
      if (cur.fn.empty()) return Unsupported(tmpl, "a stage must start with a function name");
      cur.args.push_back(std::move(s));
      i = j + 1;
    } else if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i;
      while (j < body.size() &&
             (absl::ascii_isalnum(static_cast<unsigned char>(body[j])) || body[j] == '_')) {
        ++j;
      }
      std::string word(body.substr(i, j - i));
      if (cur.fn.empty()) {
        cur.fn = std::move(word);
      } else {
        cur.args.push_back(std::move(word));
      }
      i = j;
    } else {
      return Unsupported(tmpl, std::string("unexpected character '") + c + "'");
    }
  }
  CKRON_RETURN_IF_ERROR(finish_call());
  return p;
}

bool IsIpFunction(std::string_view fn) {
  return fn == "GetPrivateIP" || fn == "GetPublicIP" || fn == "GetPrivateIPs" ||
         fn == "GetPublicIPs" || fn == "GetInterfaceIP";
}
bool IsSource(std::string_view fn) {
  return fn == "GetAllInterfaces" || fn == "GetDefaultInterfaces" || fn == "GetPrivateInterfaces" ||
         fn == "GetPublicInterfaces";
}

Status NeedArgs(std::string_view tmpl, const Call& c, std::size_t n) {
  if (c.args.size() != n) {
    return Unsupported(tmpl, c.fn + " takes " + std::to_string(n) + " argument(s), got " +
                                 std::to_string(c.args.size()));
  }
  return OkStatus();
}

Result<int> ParseCount(std::string_view tmpl, const Call& c) {
  int n = -1;
  const std::string& a = c.args[0];
  auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
  if (ec != std::errc() || end != a.data() + a.size() || n < 0) {
    return Unsupported(tmpl, c.fn + " needs a non-negative integer, got \"" + a + "\"");
  }
  return n;
}

// Validates a pipeline's shape and arguments; evaluation relies on it.
Status CheckPipeline(std::string_view tmpl, const Pipeline& p) {
  const Call& first = p.front();
  if (IsIpFunction(first.fn)) {
    if (p.size() > 1) return Unsupported(tmpl, first.fn + " cannot be piped");
    return NeedArgs(tmpl, first, first.fn == "GetInterfaceIP" ? 1 : 0);
  }
  if (!IsSource(first.fn)) return Unsupported(tmpl, "unknown function " + first.fn);
  CKRON_RETURN_IF_ERROR(NeedArgs(tmpl, first, 0));
  if (p.size() < 2) return Unsupported(tmpl, first.fn + " must end in attr or join");
  for (std::size_t i = 1; i < p.size(); ++i) {
    const Call& c = p[i];
    const bool last = i + 1 == p.size();
    if (c.fn == "attr" || c.fn == "join") {
      if (!last) return Unsupported(tmpl, c.fn + " must be the last stage");
      CKRON_RETURN_IF_ERROR(NeedArgs(tmpl, c, c.fn == "attr" ? 1 : 2));
      if (c.args[0] != "address" && c.args[0] != "name") {
        return Unsupported(tmpl, c.fn + " selector must be \"address\" or \"name\"");
      }
    } else if (c.fn == "include" || c.fn == "exclude") {
      CKRON_RETURN_IF_ERROR(NeedArgs(tmpl, c, 2));
      const std::string sel = absl::AsciiStrToLower(c.args[0]);
      const std::string val = absl::AsciiStrToLower(c.args[1]);
      if (sel == "name") {
        if (c.args[1].size() > 256) return Unsupported(tmpl, "name pattern longer than 256");
        try {
          std::regex re(c.args[1]);
        } catch (const std::regex_error&) {
          return Unsupported(tmpl, "bad name pattern \"" + c.args[1] + "\"");
        }
      } else if (sel == "type") {
        if (val != "ipv4" && val != "ipv6" && val != "ip") {
          return Unsupported(tmpl, "type must be ipv4, ipv6 or ip");
        }
      } else if (sel == "network") {
        if (!ParseCidr(c.args[1])) return Unsupported(tmpl, "bad network \"" + c.args[1] + "\"");
      } else if (sel == "flags") {
        if (val != "up" && val != "down" && val != "loopback" && val != "forwardable") {
          return Unsupported(tmpl, "flags must be up, down, loopback or forwardable");
        }
      } else {
        return Unsupported(tmpl, "unknown selector \"" + c.args[0] + "\"");
      }
    } else if (c.fn == "limit" || c.fn == "offset") {
      CKRON_RETURN_IF_ERROR(NeedArgs(tmpl, c, 1));
      CKRON_RETURN_IF_ERROR(ParseCount(tmpl, c).status());
    } else {
      return Unsupported(tmpl, "unknown function " + c.fn);
    }
    if (last && c.fn != "attr" && c.fn != "join") {
      return Unsupported(tmpl, "a pipeline must end in attr or join");
    }
  }
  return OkStatus();
}

bool Matches(const InterfaceAddress& a, const std::string& sel, const std::string& arg) {
  const std::string val = absl::AsciiStrToLower(arg);
  if (sel == "name") return std::regex_search(a.interface, std::regex(arg));
  if (sel == "type") return val == "ip" || (val == "ipv6") == a.ipv6;
  if (sel == "network") {
    auto ip = ParseIp(a.ip);
    return ip && ParseCidr(arg)->Contains(*ip);
  }
  // flags
  if (val == "up") return a.up;
  if (val == "down") return !a.up;
  if (val == "loopback") return a.loopback || IsLoopbackIp(a.ip);
  return IsForwardable(a);
}

std::string Attr(const InterfaceAddress& a, std::string_view sel) {
  return sel == "name" ? a.interface : a.ip;
}

// REQUIRES: CheckPipeline(p) is OK.
std::string Evaluate(const Pipeline& p, std::span<const InterfaceAddress> all) {
  const Call& first = p.front();
  if (first.fn == "GetInterfaceIP") {
    auto v = Filter(all, [&](const auto& a) { return a.interface == first.args[0]; });
    SortDefaultTypeSize(v);
    return v.empty() ? "" : v.front().ip;
  }
  if (IsIpFunction(first.fn)) {
    const bool priv = first.fn.starts_with("GetPrivate");
    const auto v = priv ? PrivateInterfaces(all) : PublicInterfaces(all);
    if (first.fn.ends_with("IPs")) {
      std::vector<std::string> ips;
      for (const auto& a : v) ips.push_back(a.ip);
      return absl::StrJoin(ips, " ");
    }
    return v.empty() ? "" : v.front().ip;
  }
  std::vector<InterfaceAddress> v;
  if (first.fn == "GetAllInterfaces") {
    v.assign(all.begin(), all.end());
  } else if (first.fn == "GetDefaultInterfaces") {
    v = Filter(all, [](const auto& a) { return a.default_route; });
  } else if (first.fn == "GetPrivateInterfaces") {
    v = PrivateInterfaces(all);
  } else {
    v = PublicInterfaces(all);
  }
  for (std::size_t i = 1; i < p.size(); ++i) {
    const Call& c = p[i];
    if (c.fn == "include" || c.fn == "exclude") {
      const std::string sel = absl::AsciiStrToLower(c.args[0]);
      const bool want = c.fn == "include";
      v = Filter(v, [&](const auto& a) { return Matches(a, sel, c.args[1]) == want; });
    } else if (c.fn == "limit") {
      v.resize(std::min(v.size(), static_cast<std::size_t>(std::stoi(c.args[0]))));
    } else if (c.fn == "offset") {
      const auto n = std::min(v.size(), static_cast<std::size_t>(std::stoi(c.args[0])));
      v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
    } else if (c.fn == "attr") {
      return v.empty() ? "" : Attr(v.front(), c.args[0]);
    } else {  // join
      std::vector<std::string> parts;
      for (const auto& a : v) parts.push_back(Attr(a, c.args[0]));
      return absl::StrJoin(parts, c.args[1]);
    }
  }
  return "";
}

// One "{{ ... }}" occurrence in a text.
struct Segment {
  std::size_t begin, end;  // [begin, end) of "{{...}}" in the text
  std::string_view body;   // inside, without trim markers
};

Result<std::vector<Segment>> FindTemplates(std::string_view text) {
  std::vector<Segment> out;
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    const std::size_t close = text.find("}}", pos + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unterminated go-sockaddr template in \"" + std::string(text) +
                                     "\" (missing \"}}\")");
    }
    std::string_view body = text.substr(pos + 2, close - pos - 2);
    if (body.starts_with('-')) body.remove_prefix(1);
    if (body.ends_with('-')) body.remove_suffix(1);
    out.push_back({pos, close + 2, body});
    pos = close + 2;
  }
  return out;
}

}  // namespace

bool IsTemplate(std::string_view text) {
  return text.find("{{") != std::string_view::npos;
}

Status CheckTemplates(std::string_view text) {
  CKRON_ASSIGN_OR_RETURN(auto segments, FindTemplates(text));
  for (const Segment& s : segments) {
    const std::string_view tmpl = text.substr(s.begin, s.end - s.begin);
    CKRON_ASSIGN_OR_RETURN(Pipeline p, ParsePipeline(tmpl, s.body));
    CKRON_RETURN_IF_ERROR(CheckPipeline(tmpl, p));
  }
  return OkStatus();
}

Result<std::string> ExpandTemplates(std::string_view text,
                                    std::span<const InterfaceAddress> interfaces) {
  CKRON_ASSIGN_OR_RETURN(auto segments, FindTemplates(text));
  std::string out;
  std::size_t last = 0;
  for (const Segment& s : segments) {
    const std::string_view tmpl = text.substr(s.begin, s.end - s.begin);
    CKRON_ASSIGN_OR_RETURN(Pipeline p, ParsePipeline(tmpl, s.body));
    CKRON_RETURN_IF_ERROR(CheckPipeline(tmpl, p));
    std::string value = Evaluate(p, interfaces);
    if (value.empty()) {
      return Status::NotFound("go-sockaddr template \"" + std::string(tmpl) +
                              "\" found no address on this host");
    }
    const bool port_follows = s.end < text.size() && text[s.end] == ':';
    if (port_follows && value.find(':') != std::string::npos &&
        value.find(' ') == std::string::npos) {
      value = "[" + value + "]";
    }
    out.append(text.substr(last, s.begin - last));
    out += value;
    last = s.end;
  }
  out.append(text.substr(last));
  return out;
}

Result<HostPort> SplitHostPort(std::string_view text) {
  HostPort hp;
  std::string_view port_text;
  bool has_port = false;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("missing ']' in address \"" + std::string(text) + "\"");
    }
    hp.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return Status::InvalidArgument("unexpected text after ']' in address \"" +
                                       std::string(text) + "\"");
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      hp.host = std::string(text);  // "host", or a bare IPv6 address
    } else {
      hp.host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (has_port) {
    int port = -1;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port < 0 || port > 65535) {
      return Status::InvalidArgument("port must be an integer 0-65535, got \"" +
                                     std::string(port_text) + "\" in \"" + std::string(text) +
                                     "\"");
    }
    hp.port = port;
  }
  return hp;
}

std::string JoinHostPort(std::string_view host, int port) {
  const std::string h(host);
  if (h.find(':') != std::string::npos) return "[" + h + "]:" + std::to_string(port);
  return h + ":" + std::to_string(port);
}

Status CheckAddress(std::string_view text) {
  if (text.empty()) return OkStatus();
  std::string probe(text);
  if (IsTemplate(text)) {
    CKRON_RETURN_IF_ERROR(CheckTemplates(text));
    // Stand in a harmless IP for each template, then check the rest.
    InterfaceAddress fake{
        .interface = "x", .ip = "10.0.0.1", .prefix_length = 8, .up = true, .default_route = true};
    std::string expanded;
    std::size_t last = 0;
    auto segments = FindTemplates(text);
    for (const Segment& s : *segments) {
      expanded.append(text.substr(last, s.begin - last));
      expanded += fake.ip;
      last = s.end;
    }
    expanded.append(text.substr(last));
    probe = expanded;
  }
  auto hp = SplitHostPort(probe);
  if (!hp.ok()) return hp.status();
  for (char c : hp->host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("expected host, host:port or :port, got \"" +
                                     std::string(text) + "\"");
    }
  }
  return OkStatus();
}

bool IsLoopbackIp(std::string_view ip) {
  auto parsed = ParseIp(ip);
  if (!parsed) return false;
  static constexpr const char* kLoopback[] = {"127.0.0.0/8", "::1/128"};
  return InAny(*parsed, kLoopback);
}

bool IsIpLiteral(std::string_view text) {
  return ParseIp(text).has_value();
}

}  // namespace ckron::config
