// Turns the address settings (bind-addr, advertise-addr, http-addr and the
// ports) into concrete addresses when the agent starts: go-sockaddr
// templates are expanded against the host's interfaces, host names resolved,
// default ports filled in.
//
// Rules (reference/dkron-spec.md §8, where ckron differs it says so):
//   bind       bind-addr; port default 8946; an empty host means 0.0.0.0
//   advertise  advertise-addr if set (port default: the bind port — Dkron
//              uses 8946 whatever the bind port), else the bind IP; when
//              binding all interfaces, the first private IP
//              ({{ GetPrivateIP }}). A loopback advertise address is allowed
//              (Dkron refuses it outside dev mode); the agent warns.
//   rpc        listens on bind IP : rpc-port; advertised as advertise IP :
//              (advertise-rpc-port or rpc-port)
//   raft       listens on bind IP : raft-port
//   http       http-addr; port default 8080; an empty host means 0.0.0.0
//
// Thread safety: pure apart from name resolution (getaddrinfo).
#ifndef CKRON_NODE_ADDRESSES_H_
#define CKRON_NODE_ADDRESSES_H_

#include <span>
#include <string>

#include "common/status.h"
#include "config/agent_config.h"
#include "config/sockaddr_template.h"

namespace ckron::node {

struct ResolvedAddresses {
  std::string bind_ip;  // "127.0.0.1", "0.0.0.0", "fd00::2"
  int bind_port = 0;    // gossip
  std::string advertise_ip;
  int advertise_port = 0;
  std::string rpc_listen;     // host:port for the gRPC server
  std::string rpc_advertise;  // host:port other members dial
  std::string raft_listen;    // host:port for Raft (servers)
  std::string http_listen;    // host:port for the HTTP API (servers)
  bool advertise_is_loopback = false;

  std::string bind() const;       // bind_ip:bind_port
  std::string advertise() const;  // advertise_ip:advertise_port
};

// Errors: kNotFound when a template finds no address or a host name does
// not resolve, kInvalidArgument for an unsupported template; the message
// names the key, e.g. `bind-addr "{{ GetPrivateIP }}:8946": go-sockaddr
// template "{{ GetPrivateIP }}" found no address on this host`.
Result<ResolvedAddresses> ResolveAddresses(const config::AgentConfig& config,
                                           std::span<const config::InterfaceAddress> interfaces);

}  // namespace ckron::node

#endif  // CKRON_NODE_ADDRESSES_H_
