// Checks the http executor's TLS files before a request, so that a bad file
// is reported the way Dkron reports it — a warning in the output, and the
// request goes on without it — rather than as a failed handshake:
//   tlsCertificateFile + tlsCertificateKeyFile  "not using client certificate: <why>"
//   tlsRootCAsFile  "using system root CAs instead of configured CAs: <why>"
// The files are read on every execution, so a renewed certificate is picked
// up by the next request.
//
// Thread safety: pure function (reads files).
#ifndef CKRON_EXECUTOR_BUILTIN_TLS_FILES_H_
#define CKRON_EXECUTOR_BUILTIN_TLS_FILES_H_

#include <string>
#include <vector>

namespace ckron::executor {

struct TlsFiles {
  std::string certificate_file;  // empty: no client certificate
  std::string key_file;
  std::string root_cas_file;  // empty: the system's CAs
  std::vector<std::string> warnings;
};

// Keeps the client certificate only when both files load and the key
// matches the certificate (Go's tls.LoadX509KeyPair); keeps the CA file only
// when it holds at least one PEM certificate.
TlsFiles CheckTlsFiles(const std::string& certificate_file, const std::string& key_file,
                       const std::string& root_cas_file);

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_TLS_FILES_H_
