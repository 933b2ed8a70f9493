// Internal to the config module: a config file's text as a small tree, from
// YAML (yaml-cpp) or JSON (nlohmann), so the loader handles both the same way.
//
// Thread safety: pure functions.
#ifndef CKRON_CONFIG_FILE_FORMAT_H_
#define CKRON_CONFIG_FILE_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ckron::config::internal {

struct FileValue {
  enum class Kind : std::uint8_t { kNull, kScalar, kList, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;  // kScalar
  // kList: the items. kMap: the values in file order, keys[i] naming items[i]
  // (a vector of pair<string, FileValue> would need FileValue complete).
  std::vector<FileValue> items;
  std::vector<std::string> keys;  // kMap
};

// Limits that keep hostile or broken files cheap to reject.
inline constexpr std::size_t kMaxFileBytes = 1 << 20;
inline constexpr int kMaxDepth = 32;
inline constexpr std::size_t kMaxNodes = 100000;

// Parses `text` as JSON when `json`, else YAML. The top level must be a map
// or empty (an empty file yields an empty map). Errors (kInvalidArgument)
// start with "file <path>: " and give the line and column when known.
Result<FileValue> ParseConfigText(std::string_view text, bool json, std::string_view path);

}  // namespace ckron::config::internal

#endif  // CKRON_CONFIG_FILE_FORMAT_H_
