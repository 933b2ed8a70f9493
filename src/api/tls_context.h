// Internal to api/: the server-side TLS context of the HTTP transport
// (http_server.h), built from PEM files.
//
// Thread safety: a pure function; the context it returns is shared by every
// connection (OpenSSL contexts are safe for that once configured).
#ifndef CKRON_API_TLS_CONTEXT_H_
#define CKRON_API_TLS_CONTEXT_H_

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/status.h"

namespace ckron::api::internal {

// A TLS 1.2+ server context with the certificate chain and key, and, when
// `client_ca_file` is not empty, requiring client certificates signed by
// it. Errors (kInvalidArgument) name the agent's config key and the file:
//   https-cert-file "x.pem": cannot read it (No such file or directory)
//   https-key-file "k.pem": not a PEM private key matching https-cert-file
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file);

}  // namespace ckron::api::internal

#endif  // CKRON_API_TLS_CONTEXT_H_
