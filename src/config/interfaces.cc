// ListInterfaceAddresses: the host's addresses from getifaddrs(3), with the
// default-route interface(s) read from /proc/net/route and
// /proc/net/ipv6_route.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "config/sockaddr_template.h"

namespace ckron::config {
namespace {

// Interfaces that carry a default route (destination 0/0).
std::set<std::string> DefaultRouteInterfaces() {
  std::set<std::string> out;
  {
    std::ifstream in("/proc/net/route");
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
      fields >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask;
      if (dest == "00000000" && mask == "00000000") out.insert(iface);
    }
  }
  {
    // dest prefix-len src src-len next-hop metric refcnt use flags iface
    std::ifstream in("/proc/net/ipv6_route");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string dest, dest_len, src, src_len, hop, metric, refcnt, use, flags, iface;
      fields >> dest >> dest_len >> src >> src_len >> hop >> metric >> refcnt >> use >> flags >>
          iface;
      if (dest == std::string(32, '0') && dest_len == "00" && iface != "lo") out.insert(iface);
    }
  }
  return out;
}

int PrefixLength(const sockaddr* mask) {
  if (mask == nullptr) return 0;
  int bits = 0;
  if (mask->sa_family == AF_INET) {
    const auto* m = reinterpret_cast<const sockaddr_in*>(mask);
    bits = std::popcount(static_cast<std::uint32_t>(m->sin_addr.s_addr));
  } else if (mask->sa_family == AF_INET6) {
    const auto* m = reinterpret_cast<const sockaddr_in6*>(mask);
    for (unsigned char b : m->sin6_addr.s6_addr) bits += std::popcount(b);
  }
  return bits;
}

}  // namespace

Result<std::vector<InterfaceAddress>> ListInterfaceAddresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return Status::Unavailable(std::string("getifaddrs: ") + std::strerror(errno));
  }
  const std::set<std::string> defaults = DefaultRouteInterfaces();
  std::vector<InterfaceAddress> out;
  for (const ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    const int family = it->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char buf[INET6_ADDRSTRLEN] = {};
    const void* src = family == AF_INET
                          ? static_cast<const void*>(
                                &reinterpret_cast<const sockaddr_in*>(it->ifa_addr)->sin_addr)
                          : static_cast<const void*>(
                                &reinterpret_cast<const sockaddr_in6*>(it->ifa_addr)->sin6_addr);
    if (inet_ntop(family, src, buf, sizeof buf) == nullptr) continue;
    InterfaceAddress a;
    a.interface = it->ifa_name;
    a.ip = buf;
    a.ipv6 = family == AF_INET6;
    a.prefix_length = PrefixLength(it->ifa_netmask);
    a.up = (it->ifa_flags & IFF_UP) != 0;
    a.loopback = (it->ifa_flags & IFF_LOOPBACK) != 0;
    a.default_route = defaults.contains(a.interface);
    out.push_back(std::move(a));
  }
  freeifaddrs(list);
  return out;
}

}  // namespace ckron::config
