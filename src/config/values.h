// Internal to the config module: turning one source's text into a typed
// field of AgentConfig, and the per-key value checks. Messages returned here
// say what was expected and what was got; the caller prefixes the origin.
//
// Thread safety: pure functions.
#ifndef CKRON_CONFIG_VALUES_H_
#define CKRON_CONFIG_VALUES_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/agent_config.h"
#include "config/keys.h"

namespace ckron::config::internal {

// How a single string becomes list items.
enum class ListSplit : std::uint8_t {
  kComma,         // flags (pflag StringSlice) and file strings
  kCommaOrSpace,  // environment variables
};

// Splits one string into list items at commas (and, for kCommaOrSpace,
// whitespace), trimming each item and dropping empty ones.
std::vector<std::string> SplitItems(std::string_view text, ListSplit split);

// Go's strconv.ParseBool forms: 1 t T TRUE true True, 0 f F FALSE false False.
std::optional<bool> ParseGoBool(std::string_view text);

// "expected an integer 1-65535" and the like: what a value of `key` must be.
std::string Expectation(const KeySpec& key);

// Assigns `text` to the key's field. kInvalidArgument:
// `expected <what>, got "<text>"` (or a check's message).
Status AssignText(const KeySpec& key, std::string_view text, ListSplit split, AgentConfig& config);

// Assigns list items (list keys) or "k=v" items (map keys) to the field.
// REQUIRES: key is a list or map key.
Status AssignItems(const KeySpec& key, const std::vector<std::string>& items, AgentConfig& config);

// Assigns map entries. REQUIRES: key is a map key.
Status AssignEntries(const KeySpec& key,
                     const std::vector<std::pair<std::string, std::string>>& entries,
                     AgentConfig& config);

// True for list and map keys.
bool IsMultiValued(const KeySpec& key);
bool IsMapKey(const KeySpec& key);

}  // namespace ckron::config::internal

#endif  // CKRON_CONFIG_VALUES_H_
