// libFuzzer: ParseMemLimit on arbitrary `mem_limit` values (and the shell
// config validation built on it). An accepted limit is positive, or zero
// for the empty string only.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "executor/builtin/shell_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ckron::Result<std::int64_t> limit = ckron::executor::ParseMemLimit(text);
  if (limit.ok()) CKRON_CHECK(text.empty() ? *limit == 0 : *limit > 0);
  const ckron::Status valid = ckron::executor::ValidateShellConfig({{"mem_limit", text}});
  CKRON_CHECK(valid.ok() == limit.ok());
  return 0;
}
