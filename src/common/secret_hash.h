// Secrets at rest: the hashed form of a password or API token as it is
// written in the configuration file (auth-users, auth-tokens), made by
// `ckron hash-secret` and checked by the HTTP API's authentication
// (api/auth.h).
//
//   pbkdf2-sha256$<iterations>$<salt>$<hash>
//
// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2, OpenSSL's implementation); <salt> and
// <hash> are unpadded standard base64 ("+/"), the salt 8-64 bytes, the hash
// 32 bytes; iterations kMinIterations-kMaxIterations. Nothing in the text is
// ':' or ',', so it fits in a `name:hash` list item.
//
// Thread safety: plain values and pure functions.
#ifndef CKRON_COMMON_SECRET_HASH_H_
#define CKRON_COMMON_SECRET_HASH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ckron {

struct SecretHash {
  static constexpr std::uint32_t kMinIterations = 1'000;
  static constexpr std::uint32_t kMaxIterations = 10'000'000;
  // What `ckron hash-secret` uses: OWASP's 2023 figure for PBKDF2-SHA256.
  static constexpr std::uint32_t kDefaultIterations = 600'000;

  std::uint32_t iterations = 0;
  std::string salt;  // raw bytes
  std::string hash;  // raw bytes, 32

  // Parses the text form. Errors: kInvalidArgument saying which part is
  // wrong (never echoing the hash).
  static Result<SecretHash> Parse(std::string_view text);

  // Hashes `secret` with a fresh random 16-byte salt.
  // Errors: kInvalidArgument (iterations out of range), kInternal (OpenSSL
  // failed to give random bytes).
  static Result<SecretHash> Make(std::string_view secret,
                                 std::uint32_t iterations = kDefaultIterations);

  // Whether `secret` hashes to `hash`: runs the KDF (slow on purpose) and
  // compares in constant time.
  bool Matches(std::string_view secret) const;

  // The text form Parse() reads.
  std::string ToString() const;
};

// One `name:hash` item of the auth-users / auth-tokens keys: a user name
// (basic auth) or a token's label (bearer) and the hash of its secret.
struct Credential {
  std::string name;
  SecretHash hash;
};
// Errors: kInvalidArgument naming what is wrong (never echoing the hash).
Result<Credential> ParseCredential(std::string_view item);

// SHA-256 of `data` (32 raw bytes).
std::string Sha256(std::string_view data);

// Equality whose time depends only on the lengths, not on where the
// inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace ckron

#endif  // CKRON_COMMON_SECRET_HASH_H_
