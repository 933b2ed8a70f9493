#include "executor/builtin/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/status.h"
#include "executor/builtin/go_compat.h"

namespace ckron::executor {
namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("open " + path + ": " + gocompat::ErrnoText(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr MemBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// Go's tls.LoadX509KeyPair, as far as its errors go.
Status CheckKeyPair(const std::string& cert_file, const std::string& key_file) {
  CKRON_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(cert_file));
  CKRON_ASSIGN_OR_RETURN(std::string key_pem, ReadFile(key_file));
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(MemBio(cert_pem).get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return Status::InvalidArgument("tls: failed to find any PEM data in certificate input");
  }
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(MemBio(key_pem).get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return Status::InvalidArgument("tls: failed to find any PEM data in key input");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("tls: private key does not match public key");
  }
  return OkStatus();
}

Status CheckCaFile(const std::string& path) {
  CKRON_ASSIGN_OR_RETURN(std::string pem, ReadFile(path));
  BioPtr bio = MemBio(pem);
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, nullptr, nullptr);
  int certs = 0;
  if (infos != nullptr) {
    for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
      if (sk_X509_INFO_value(infos, i)->x509 != nullptr) ++certs;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
  }
  ERR_clear_error();
  if (certs == 0) return Status::InvalidArgument("no certificates in file");
  return OkStatus();
}

}  // namespace

TlsFiles CheckTlsFiles(const std::string& certificate_file, const std::string& key_file,
                       const std::string& root_cas_file) {
  TlsFiles out;
  if (!certificate_file.empty()) {
    if (Status s = CheckKeyPair(certificate_file, key_file); s.ok()) {
      out.certificate_file = certificate_file;
      out.key_file = key_file;
    } else {
      out.warnings.push_back("not using client certificate: " + s.message());
    }
  }
  if (!root_cas_file.empty()) {
    if (Status s = CheckCaFile(root_cas_file); s.ok()) {
      out.root_cas_file = root_cas_file;
    } else {
      out.warnings.push_back("using system root CAs instead of configured CAs: " + s.message());
    }
  }
  return out;
}

}  // namespace ckron::executor
