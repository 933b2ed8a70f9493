// Addresses as Dkron users write them: "host", "host:port", ":port",
// "[v6]:port", and HashiCorp go-sockaddr templates such as Dkron's default
// bind address "{{ GetPrivateIP }}:8946".
//
// The template subset (anything else is an error that names the template):
//   {{ GetPrivateIP }}            first private (RFC 6890, forwardable) IP of
//                                 an up interface; default-route interface
//                                 first, then IPv4 before IPv6, then the
//                                 smaller network first (go-sockaddr's order)
//   {{ GetPublicIP }}             same, for addresses outside RFC 6890
//   {{ GetPrivateIPs }} / {{ GetPublicIPs }}   all of them, space-separated
//   {{ GetInterfaceIP "eth0" }}   first IP of that interface (IPv4 first)
//   {{ GetAllInterfaces | include "name" "eth0" | attr "address" }}  pipelines:
//       sources   GetAllInterfaces, GetDefaultInterfaces,
//                 GetPrivateInterfaces, GetPublicInterfaces
//       filters   include|exclude "name" REGEX, "type" ipv4|ipv6|ip,
//                 "network" CIDR, "flags" up|down|loopback|forwardable;
//                 limit N; offset N
//       result    attr "address"|"name" (of the first), or
//                 join "address"|"name" SEP (of all)
// An IPv6 result followed by ":port" in the text is bracketed ("[fd00::2]:8946"),
// which go-sockaddr does not do.
//
// Thread safety: pure functions, except ListInterfaceAddresses which reads
// the system's interfaces.
#ifndef CKRON_CONFIG_SOCKADDR_TEMPLATE_H_
#define CKRON_CONFIG_SOCKADDR_TEMPLATE_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ckron::config {

// One address of one network interface.
struct InterfaceAddress {
  std::string interface;  // e.g. "eth0"
  std::string ip;         // textual, e.g. "192.0.2.2" or "fd00::2" (no zone)
  bool ipv6 = false;
  int prefix_length = 0;       // e.g. 24
  bool up = false;             // IFF_UP
  bool loopback = false;       // IFF_LOOPBACK
  bool default_route = false;  // the interface carries a default route
};

// The host's interface addresses (getifaddrs, plus /proc/net/route and
// /proc/net/ipv6_route for default_route). Errors: kUnavailable.
Result<std::vector<InterfaceAddress>> ListInterfaceAddresses();

// True when `text` contains a template ("{{").
bool IsTemplate(std::string_view text);

// Checks that every template in `text` is in the supported subset, without
// resolving anything. Error (kInvalidArgument) names the template.
Status CheckTemplates(std::string_view text);

// Replaces every template in `text` with its value computed from
// `interfaces`. Errors (kInvalidArgument): unsupported template; kNotFound:
// a template that yields no address (message names it).
Result<std::string> ExpandTemplates(std::string_view text,
                                    std::span<const InterfaceAddress> interfaces);

struct HostPort {
  std::string host;         // "" for ":port"; IPv6 without brackets
  std::optional<int> port;  // absent for "host"
};

// Splits "host", "host:port", ":port", "[v6]:port", "[v6]" and a bare IPv6
// address ("fd00::2", taken as a host). Errors (kInvalidArgument): port not
// an integer 0-65535, unbalanced brackets.
Result<HostPort> SplitHostPort(std::string_view text);

// "host:port", bracketing IPv6 hosts.
std::string JoinHostPort(std::string_view host, int port);

// Checks an address setting: "" or something SplitHostPort accepts, with
// templates checked by CheckTemplates (the templated part stands for an IP).
// Error messages say what is expected.
Status CheckAddress(std::string_view text);

// True for 127.0.0.0/8 and ::1.
bool IsLoopbackIp(std::string_view ip);
// True for an IPv4 or IPv6 literal.
bool IsIpLiteral(std::string_view text);

}  // namespace ckron::config

#endif  // CKRON_CONFIG_SOCKADDR_TEMPLATE_H_
