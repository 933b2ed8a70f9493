#include "membership/keyring.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/escaping.h"

namespace ckron::membership {
namespace {

bool ValidSize(std::size_t n) {
  return n == 16 || n == 24 || n == 32;
}

const EVP_CIPHER* CipherFor(std::size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    default:
      return EVP_aes_256_gcm();
  }
}

using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// AES-GCM open with one key; returns false when authentication fails.
bool OpenWith(const std::string& key, std::string_view nonce, std::string_view body,
              std::string_view aad, std::string* plain) {
  if (body.size() < Keyring::kTagSize) return false;
  const std::string_view ct = body.substr(0, body.size() - Keyring::kTagSize);
  std::string tag(body.substr(body.size() - Keyring::kTagSize));
  CtxPtr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), CipherFor(key.size()), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) != 1) {
    return false;
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  plain->assign(ct.size(), '\0');
  if (!ct.empty() && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain->data()),
                                       &len, U(ct), static_cast<int>(ct.size())) != 1) {
    return false;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                          tag.data()) != 1) {
    return false;
  }
  int fin = 0;
  return EVP_DecryptFinal_ex(ctx.get(), nullptr, &fin) == 1;
}

}  // namespace

Result<Keyring> Keyring::FromRaw(std::vector<std::string> keys) {
  for (const auto& k : keys) {
    if (!ValidSize(k.size())) {
      return Status::InvalidArgument("encryption key must be 16, 24 or 32 bytes, got " +
                                     std::to_string(k.size()));
    }
  }
  Keyring ring;
  ring.keys_ = std::move(keys);
  return ring;
}

Result<Keyring> Keyring::FromBase64(const std::vector<std::string>& keys) {
  std::vector<std::string> raw;
  for (const auto& k : keys) {
    std::string bytes;
    if (!absl::Base64Unescape(k, &bytes)) {
      return Status::InvalidArgument("encryption key is not valid base64: " + k);
    }
    if (!ValidSize(bytes.size())) {
      return Status::InvalidArgument("encryption key must decode to 16, 24 or 32 bytes, got " +
                                     std::to_string(bytes.size()));
    }
    raw.push_back(std::move(bytes));
  }
  return FromRaw(std::move(raw));
}

std::string Keyring::GenerateKey(std::size_t size) {
  if (!ValidSize(size)) size = 32;
  std::string key(size, '\0');
  CKRON_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(size)) ==
              1);
  return absl::Base64Escape(key);
}

std::vector<std::string> Keyring::KeysBase64() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(absl::Base64Escape(k));
  return out;
}

std::string Keyring::Seal(std::string_view plain, std::string_view aad,
                          std::uint8_t version) const {
  CKRON_CHECK(enabled());
  const std::string& key = keys_.front();
  std::string padded;
  std::string_view msg = plain;
  if (version == 0) {  // PKCS#7 to the AES block size
    padded.assign(plain);
    const std::size_t more = 16 - (plain.size() % 16);
    padded.append(more, static_cast<char>(more));
    msg = padded;
  }
  std::string out;
  out.reserve(1 + kNonceSize + msg.size() + kTagSize);
  out.push_back(static_cast<char>(version));
  std::string nonce(kNonceSize, '\0');
  CKRON_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()),
                         static_cast<int>(kNonceSize)) == 1);
  out += nonce;
  CtxPtr ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  CKRON_CHECK(ctx != nullptr);
  int len = 0;
  CKRON_CHECK(EVP_EncryptInit_ex(ctx.get(), CipherFor(key.size()), nullptr, nullptr, nullptr) == 1);
  CKRON_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceSize),
                                  nullptr) == 1);
  CKRON_CHECK(EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key), U(nonce)) == 1);
  if (!aad.empty()) {
    CKRON_CHECK(EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) ==
                1);
  }
  std::string ct(msg.size(), '\0');
  if (!msg.empty()) {
    CKRON_CHECK(EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()), &len,
                                  U(msg), static_cast<int>(msg.size())) == 1);
  }
  int fin = 0;
  CKRON_CHECK(EVP_EncryptFinal_ex(ctx.get(), nullptr, &fin) == 1);
  std::string tag(kTagSize, '\0');
  CKRON_CHECK(EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                                  tag.data()) == 1);
  out += ct;
  out += tag;
  return out;
}

Result<std::string> Keyring::Open(std::string_view sealed, std::string_view aad) const {
  if (sealed.empty()) return Status::InvalidArgument("cannot decrypt empty payload");
  const auto version = static_cast<std::uint8_t>(sealed[0]);
  if (version > 1) {
    return Status::InvalidArgument("unsupported encryption version " + std::to_string(version));
  }
  const std::size_t min = 1 + kNonceSize + kTagSize + (version == 0 ? 16 : 0);
  if (sealed.size() < min) return Status::InvalidArgument("payload is too small to decrypt");
  const std::string_view nonce = sealed.substr(1, kNonceSize);
  const std::string_view body = sealed.substr(1 + kNonceSize);
  std::string plain;
  for (const auto& key : keys_) {
    if (!OpenWith(key, nonce, body, aad, &plain)) continue;
    if (version == 0) {
      const auto pad = plain.empty() ? 0u : static_cast<std::uint8_t>(plain.back());
      if (pad == 0 || pad > 16 || pad > plain.size()) {
        return Status::InvalidArgument("bad PKCS#7 padding");
      }
      plain.resize(plain.size() - pad);
    }
    return plain;
  }
  return Status::Unavailable("No installed keys could decrypt the message");
}

}  // namespace ckron::membership
