// libFuzzer: the http executor's `headers` (JSON, then "Name: value"
// entries). Every header it accepts has a token name and a value without
// CR, LF or NUL, so nothing can be injected into the request.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "executor/builtin/http_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  ckron::Result<std::vector<std::string>> entries = ckron::executor::ParseHeaderJson(json);
  if (!entries.ok()) return 0;
  ckron::Result<ckron::executor::HeaderList> headers = ckron::executor::BuildHeaders(*entries);
  if (!headers.ok()) return 0;
  for (const ckron::executor::HttpHeader& h : headers->headers) {
    CKRON_CHECK(!h.name.empty());
    CKRON_CHECK(h.name.find_first_of(" \t\r\n:") == std::string::npos);
    CKRON_CHECK(h.value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
  }
  return 0;
}
