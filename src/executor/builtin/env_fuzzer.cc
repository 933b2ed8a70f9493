// libFuzzer: ParseEnvList on arbitrary `env` values. Every item it returns
// holds an '=' and no ',', and they are the input's items in order.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "executor/builtin/shell_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view env(reinterpret_cast<const char*>(data), size);
  std::size_t from = 0;
  for (const std::string& item : ckron::executor::ParseEnvList(env)) {
    CKRON_CHECK(item.find('=') != std::string::npos);
    CKRON_CHECK(item.find(',') == std::string::npos);
    const std::size_t at = env.find(item, from);
    CKRON_CHECK(at != std::string_view::npos);
    from = at + item.size();
  }
  return 0;
}
