#include "api/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace ckron::api::internal {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's most recent error, for messages ("" when there is none).
std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return std::string(" (") + buf + ")";
}

Status Readable(const char* key, const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    return Status::InvalidArgument(std::string(key) + " \"" + file + "\": cannot read it (" +
                                   std::strerror(errno) + ")");
  }
  return OkStatus();
}

// TLS 1.2 suites: forward-secret key exchange and AEAD only. TLS 1.3 keeps
// OpenSSL's defaults, which are all of that kind.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                           const std::string& key_file,
                                                           const std::string& client_ca_file) {
  if (cert_file.empty() != key_file.empty()) {
    return Status::InvalidArgument(
        "https-cert-file and https-key-file must be set together (one is empty)");
  }
  if (cert_file.empty()) {
    return Status::InvalidArgument(
        "https-client-ca-file requires https-cert-file and "
        "https-key-file");
  }
  CKRON_RETURN_IF_ERROR(Readable("https-cert-file", cert_file));
  CKRON_RETURN_IF_ERROR(Readable("https-key-file", key_file));
  if (!client_ca_file.empty()) {
    CKRON_RETURN_IF_ERROR(Readable("https-client-ca-file", client_ca_file));
  }

  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    return Status::Internal("TLS: OpenSSL refused the cipher list" + OpenSslError());
  }
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return Status::InvalidArgument("https-cert-file \"" + cert_file +
                                   "\": not a PEM certificate chain" + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("https-key-file \"" + key_file +
                                   "\": not an unencrypted PEM private key matching "
                                   "https-cert-file \"" +
                                   cert_file + "\"" + OpenSslError());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument("https-key-file \"" + key_file +
                                   "\": does not match the certificate of https-cert-file \"" +
                                   cert_file + "\"" + OpenSslError());
  }
  if (!client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(native, client_ca_file.c_str(), nullptr) != 1) {
      return Status::InvalidArgument("https-client-ca-file \"" + client_ca_file +
                                     "\": not PEM CA certificates" + OpenSslError());
    }
    // The CA names the server sends in its certificate request.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(client_ca_file.c_str());
    if (names == nullptr) {
      return Status::InvalidArgument("https-client-ca-file \"" + client_ca_file +
                                     "\": holds no certificate" + OpenSslError());
    }
    SSL_CTX_set_client_CA_list(native, names);
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

}  // namespace ckron::api::internal
