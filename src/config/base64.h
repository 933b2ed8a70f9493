// Standard base64 (RFC 4648 §4, with padding), as Go's
// base64.StdEncoding: what Serf and Dkron use for gossip keys.
//
// Thread safety: pure functions.
#ifndef CKRON_CONFIG_BASE64_H_
#define CKRON_CONFIG_BASE64_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ckron::config {

std::string Base64Encode(std::span<const std::uint8_t> bytes);

// Padding required; no whitespace or characters outside the alphabet.
// nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ckron::config

#endif  // CKRON_CONFIG_BASE64_H_
