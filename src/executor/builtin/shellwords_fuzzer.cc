// libFuzzer: SplitShellWords on arbitrary command lines. Besides not
// crashing: a successful split, each word single-quoted and joined again,
// splits back into the same words.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/check.h"
#include "executor/builtin/shellwords.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  ckron::Result<std::vector<std::string>> words = ckron::executor::SplitShellWords(line);
  if (!words.ok()) return 0;
  std::string requoted;
  for (const std::string& w : *words) {
    requoted += "'";
    for (const char c : w) requoted += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
    requoted += "' ";
  }
  ckron::Result<std::vector<std::string>> again = ckron::executor::SplitShellWords(requoted);
  CKRON_CHECK(again.ok());
  CKRON_CHECK(*again == *words);
  return 0;
}
