// libFuzzer target for the credential parsers: an Authorization header
// (api/auth.h) and a stored `name:hash` item (common/secret_hash.h). Built
// by the "fuzz" preset; run with tools/fuzz.sh. Invariants: no crash, and a
// parsed hash prints back to text that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/auth.h"
#include "common/check.h"
#include "common/secret_hash.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto presented = ckron::api::ParseAuthorization(in);
  if (presented.ok() && presented->scheme == ckron::api::Presented::Scheme::kBearer) {
    CKRON_CHECK(!presented->secret.empty());
  }
  auto cred = ckron::ParseCredential(in);
  if (cred.ok()) {
    auto again = ckron::SecretHash::Parse(cred->hash.ToString());
    CKRON_CHECK(again.ok());
    CKRON_CHECK(again->iterations == cred->hash.iterations && again->salt == cred->hash.salt &&
                again->hash == cred->hash.hash);
  }
  return 0;
}
