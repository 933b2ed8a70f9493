#include "common/secret_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <charconv>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ckron {
namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMinSalt = 8;
constexpr std::size_t kMaxSalt = 64;
constexpr std::size_t kNewSalt = 16;

// This absl predates its std::string_view aliasing.
absl::string_view A(std::string_view s) {
  return {s.data(), s.size()};
}

std::string Unpadded(std::string_view raw) {
  std::string out = absl::Base64Escape(A(raw));
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

// Strict unpadded base64: only the standard alphabet.
bool DecodeUnpadded(std::string_view text, std::string* out) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return false;
  }
  if (text.size() % 4 == 1) return false;
  return absl::Base64Unescape(A(text), out);
}

std::string Derive(std::string_view secret, std::string_view salt, std::uint32_t iterations) {
  std::string out(kHashBytes, '\0');
  const int ok =
      PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
  if (ok != 1) out.clear();  // never equal to a stored 32-byte hash
  return out;
}

}  // namespace

Result<SecretHash> SecretHash::Parse(std::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(A(text), '$');
  if (parts.size() != 4 || parts[0] != A(kScheme)) {
    return Status::InvalidArgument(
        "expected pbkdf2-sha256$<iterations>$<salt>$<hash> (see ckron hash-secret)");
  }
  SecretHash h;
  const std::string_view it(parts[1].data(), parts[1].size());
  auto [end, ec] = std::from_chars(it.data(), it.data() + it.size(), h.iterations);
  if (it.empty() || ec != std::errc() || end != it.data() + it.size() ||
      h.iterations < kMinIterations || h.iterations > kMaxIterations) {
    return Status::InvalidArgument(
        absl::StrCat("hash iterations must be an integer ", kMinIterations, "-", kMaxIterations));
  }
  if (!DecodeUnpadded({parts[2].data(), parts[2].size()}, &h.salt) || h.salt.size() < kMinSalt ||
      h.salt.size() > kMaxSalt) {
    return Status::InvalidArgument(
        absl::StrCat("hash salt must be unpadded base64 of ", kMinSalt, "-", kMaxSalt, " bytes"));
  }
  if (!DecodeUnpadded({parts[3].data(), parts[3].size()}, &h.hash) || h.hash.size() != kHashBytes) {
    return Status::InvalidArgument(
        absl::StrCat("hash value must be unpadded base64 of ", kHashBytes, " bytes"));
  }
  return h;
}

Result<SecretHash> SecretHash::Make(std::string_view secret, std::uint32_t iterations) {
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return Status::InvalidArgument(absl::StrCat("iterations must be ", kMinIterations, "-",
                                                kMaxIterations, ", got ", iterations));
  }
  SecretHash h;
  h.iterations = iterations;
  h.salt.assign(kNewSalt, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(h.salt.data()),
                 static_cast<int>(h.salt.size())) != 1) {
    return Status::Internal("cannot read random bytes for the salt (OpenSSL RAND_bytes failed)");
  }
  h.hash = Derive(secret, h.salt, iterations);
  if (h.hash.empty()) return Status::Internal("PBKDF2 failed (OpenSSL)");
  return h;
}

bool SecretHash::Matches(std::string_view secret) const {
  return ConstantTimeEquals(Derive(secret, salt, iterations), hash);
}

std::string SecretHash::ToString() const {
  return absl::StrCat(A(kScheme), "$", iterations, "$", Unpadded(salt), "$", Unpadded(hash));
}

Result<Credential> ParseCredential(std::string_view item) {
  const std::size_t colon = item.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument(
        "expected name:hash with a non-empty name (the hash from ckron hash-secret)");
  }
  Credential c;
  c.name = std::string(item.substr(0, colon));
  auto hash = SecretHash::Parse(item.substr(colon + 1));
  if (!hash.ok()) return Status::InvalidArgument("\"" + c.name + "\": " + hash.status().message());
  c.hash = std::move(*hash);
  return c;
}

std::string Sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ckron
