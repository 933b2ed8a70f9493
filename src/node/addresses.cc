#include "node/addresses.h"

#include <netdb.h>
#include <sys/socket.h>

namespace ckron::node {
namespace {

using config::HostPort;

bool IsUnspecified(const std::string& ip) {
  return ip == "0.0.0.0" || ip == "::";
}

// A literal IP as is; a host name resolved (IPv4 preferred).
Result<std::string> ToIp(const std::string& host) {
  if (config::IsIpLiteral(host)) return host;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
    return Status::NotFound("cannot resolve host \"" + host + "\": " + gai_strerror(rc));
  }
  std::string best;
  for (const addrinfo* it = res; it != nullptr; it = it->ai_next) {
    char buf[NI_MAXHOST];
    if (getnameinfo(it->ai_addr, it->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) !=
        0) {
      continue;
    }
    if (best.empty() || (it->ai_family == AF_INET && best.find(':') != std::string::npos)) {
      best = buf;
    }
  }
  freeaddrinfo(res);
  if (best.empty()) return Status::NotFound("cannot resolve host \"" + host + "\"");
  return best;
}

// Expands, splits and resolves one address setting; `default_host` stands
// in for an empty host.
Result<HostPort> Resolve(std::string_view key, const std::string& value,
                         std::span<const config::InterfaceAddress> interfaces,
                         const std::string& default_host, int default_port) {
  auto fail = [&](const Status& s) {
    return Status(s.code(), std::string(key) + " \"" + value + "\": " + s.message());
  };
  auto expanded = config::ExpandTemplates(value, interfaces);
  if (!expanded.ok()) return fail(expanded.status());
  auto hp = config::SplitHostPort(*expanded);
  if (!hp.ok()) return fail(hp.status());
  if (hp->host.empty()) hp->host = default_host;
  auto ip = ToIp(hp->host);
  if (!ip.ok()) return fail(ip.status());
  hp->host = *ip;
  if (!hp->port) hp->port = default_port;
  return *hp;
}

}  // namespace

std::string ResolvedAddresses::bind() const {
  return config::JoinHostPort(bind_ip, bind_port);
}
std::string ResolvedAddresses::advertise() const {
  return config::JoinHostPort(advertise_ip, advertise_port);
}

Result<ResolvedAddresses> ResolveAddresses(const config::AgentConfig& c,
                                           std::span<const config::InterfaceAddress> interfaces) {
  ResolvedAddresses out;
  CKRON_ASSIGN_OR_RETURN(HostPort bind, Resolve("bind-addr", c.bind_addr, interfaces, "0.0.0.0",
                                                config::kDefaultGossipPort));
  out.bind_ip = bind.host;
  out.bind_port = *bind.port;

  if (!c.advertise_addr.empty()) {
    CKRON_ASSIGN_OR_RETURN(HostPort adv, Resolve("advertise-addr", c.advertise_addr, interfaces,
                                                 out.bind_ip, out.bind_port));
    out.advertise_ip = adv.host;
    out.advertise_port = *adv.port;
  } else {
    out.advertise_ip = out.bind_ip;
    out.advertise_port = out.bind_port;
  }
  if (IsUnspecified(out.advertise_ip)) {
    auto ip = config::ExpandTemplates("{{ GetPrivateIP }}", interfaces);
    if (!ip.ok()) {
      return Status::NotFound("bind-addr \"" + c.bind_addr +
                              "\" listens on every interface and no private IP was found to "
                              "advertise; set advertise-addr");
    }
    out.advertise_ip = *ip;
  }
  out.advertise_is_loopback = config::IsLoopbackIp(out.advertise_ip);

  out.rpc_listen = config::JoinHostPort(out.bind_ip, c.rpc_port);
  out.rpc_advertise = config::JoinHostPort(
      out.advertise_ip, c.advertise_rpc_port != 0 ? c.advertise_rpc_port : c.rpc_port);
  out.raft_listen = config::JoinHostPort(out.bind_ip, c.raft_port);

  CKRON_ASSIGN_OR_RETURN(HostPort http, Resolve("http-addr", c.http_addr, interfaces, "0.0.0.0",
                                                config::kDefaultHttpPort));
  out.http_listen = config::JoinHostPort(http.host, *http.port);
  return out;
}

}  // namespace ckron::node
