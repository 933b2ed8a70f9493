// libFuzzer: DecodeBase64 on arbitrary `payload` values. Decoding never
// yields more than 3 bytes per 4 input characters.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "executor/builtin/shell_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ckron::Result<std::string> decoded = ckron::executor::DecodeBase64(text);
  if (decoded.ok()) CKRON_CHECK(decoded->size() <= size / 4 * 3 + 3);
  return 0;
}
