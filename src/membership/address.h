// Gossip addresses. memberlist carries IPs as raw bytes (Go net.IP: 4 bytes
// for IPv4, 16 for IPv6 or v4-in-v6); we keep them that way and convert to
// text only at the edges.
//
// Thread safety: values.
#ifndef CKRON_MEMBERSHIP_ADDRESS_H_
#define CKRON_MEMBERSHIP_ADDRESS_H_

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ckron::membership {

struct Address {
  std::string ip;  // raw bytes, 4 or 16 (v4-in-v6 is normalised to 4)
  std::uint16_t port = 0;

  // "1.2.3.4:7946" or "[::1]:7946".
  std::string ToString() const;
  friend auto operator<=>(const Address&, const Address&) = default;
};

// "1.2.3.4" / "::1" -> raw bytes. Errors: kInvalidArgument.
Result<std::string> ParseIp(std::string_view text);
// Raw bytes -> text; "" for a malformed length.
std::string FormatIp(std::string_view raw);
// Normalises v4-in-v6 (::ffff:a.b.c.d) to 4 bytes; other values unchanged.
std::string NormalizeIp(std::string_view raw);
// "host:port" (host an IP literal, IPv6 in brackets), or a bare host with
// `default_port`. Errors: kInvalidArgument.
Result<Address> ParseAddress(std::string_view text, std::uint16_t default_port);

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_ADDRESS_H_
