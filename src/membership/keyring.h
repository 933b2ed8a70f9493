// The gossip encryption keyring, compatible with memberlist's (security.go,
// keyring.go): AES-GCM with a 12-byte random nonce and a 16-byte tag, keys of
// 16, 24 or 32 bytes (AES-128/192/256), the first key is primary (used to
// encrypt), every key is tried to decrypt. Keys are exchanged as standard
// base64, as `serf keygen` prints them and `--encrypt` takes them.
//
// Sealed layout: [version:1][nonce:12][ciphertext][tag:16]. Version 0 pads
// the plaintext with PKCS#7 to the AES block size (memberlist protocol 1);
// version 1 does not pad (protocol >= 2, what Serf 0.9 speaks).
//
// Thread safety: a Keyring is immutable after construction; safe for
// concurrent use.
#ifndef CKRON_MEMBERSHIP_KEYRING_H_
#define CKRON_MEMBERSHIP_KEYRING_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ckron::membership {

class Keyring {
 public:
  static constexpr std::size_t kNonceSize = 12;
  static constexpr std::size_t kTagSize = 16;
  // Bytes that version 1 sealing adds to a message.
  static constexpr std::size_t kOverheadV1 = 1 + kNonceSize + kTagSize;

  // An empty keyring: encryption disabled.
  Keyring() = default;

  // Builds a keyring from base64 keys; keys[0] becomes primary.
  // Errors: kInvalidArgument naming the bad key (not base64, wrong length).
  static Result<Keyring> FromBase64(const std::vector<std::string>& keys);
  // Builds a keyring from raw keys. Errors: kInvalidArgument on a bad length.
  static Result<Keyring> FromRaw(std::vector<std::string> keys);

  // A new random key of `size` bytes (16, 24 or 32), base64-encoded.
  static std::string GenerateKey(std::size_t size = 32);

  bool enabled() const { return !keys_.empty(); }
  const std::vector<std::string>& keys() const { return keys_; }
  // The keys in base64, primary first (for `_serf_list-keys` answers).
  std::vector<std::string> KeysBase64() const;

  // Seals `plain` with the primary key. REQUIRES: enabled().
  // `aad` is authenticated but not encrypted (memberlist authenticates the
  // 5-byte stream header; packets have none).
  std::string Seal(std::string_view plain, std::string_view aad, std::uint8_t version = 1) const;

  // Opens a sealed message with each key in turn.
  // Errors: kInvalidArgument for an unknown version or a message too short
  // to hold nonce and tag; kUnavailable "No installed keys could decrypt the
  // message" (memberlist's words) when no key authenticates it.
  Result<std::string> Open(std::string_view sealed, std::string_view aad) const;

 private:
  std::vector<std::string> keys_;  // raw bytes; Invariant: sizes in {16,24,32}
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_KEYRING_H_
