// The key registry: one entry per configuration key, the single source for
// the agent's flags (`ckron agent --help`), environment variables, config
// file keys, checks, `--print-config` and docs/configuration.md. The order
// is the order of `--help` (Dkron's flag order, ckron's keys beside their
// kin, YAML-only keys last).
//
// Thread safety: the registry is immutable static data.
#ifndef CKRON_CONFIG_KEYS_H_
#define CKRON_CONFIG_KEYS_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "config/agent_config.h"

namespace ckron::config {

// Where a value lives in AgentConfig; the member's type is the key's type.
using Field = std::variant<bool AgentConfig::*,                                 // bool
                           int AgentConfig::*,                                  // int (ranged)
                           std::uint16_t AgentConfig::*,                        // uint16
                           absl::Duration AgentConfig::*,                       // Go duration
                           std::string AgentConfig::*,                          // string
                           std::vector<std::string> AgentConfig::*,             // list
                           std::map<std::string, std::string> AgentConfig::*>;  // map

// Value checks beyond the type, applied to every value from every source.
enum class Check : std::uint8_t {
  kNone,
  kNonEmpty,     // string must not be empty
  kPositive,     // duration must be > 0
  kProfile,      // lan | wan | local
  kLogLevel,     // debug | info | warn | error | fatal | panic
  kLogFormat,    // text | json
  kEncryptKey,   // "" or base64 of 16, 24 or 32 bytes
  kAddress,      // "" | host | host:port | :port | go-sockaddr template
  kNodeTags,     // map: non-empty keys, none reserved
  kStatsdTags,   // list: each "key:value" with a non-empty key
  kCredentials,  // list: each "name:hash" (common/secret_hash.h), names unique
};

struct KeySpec {
  // Canonical name: the YAML key and the --print-config key. Env:
  // CKRON_/DKRON_ + upper-case with '-' -> '_'.
  std::string_view name;
  Field field;
  // The flag, without "--": usually `name`, "tag" for tags; "" when the key
  // has no flag (Dkron's YAML-only keys).
  std::string_view flag_name;
  // Another name accepted in files and env (case-insensitive in files).
  std::string_view alias;
  // One or two sentences for --help and the docs (our own words).
  std::string_view help;
  Check check = Check::kNone;
  // Inclusive range for int and uint16 keys.
  std::int64_t min = 0;
  std::int64_t max = 0;
  bool secret = false;      // redacted in --print-config and reload logs
  bool reloadable = false;  // applied on SIGHUP without a restart
  bool deprecated = false;  // accepted with a warning
  bool ckron_only = false;  // not a Dkron key
  bool has_flag() const { return !flag_name.empty(); }
};

// Every key, in --help order.
std::span<const KeySpec> AllKeys();

// The key named `name` (canonical, flag name or alias), compared
// case-insensitively; nullptr if none.
const KeySpec* FindKey(std::string_view name);

// Tag keys the agent sets itself; users may not set them (`--tag`, `tags`).
// raft_addr is ckron's own (servers' Raft address); the rest are Dkron's.
inline constexpr std::string_view kReservedTags[] = {"role",   "dc",        "region", "version",
                                                     "server", "bootstrap", "expect", "rpc_addr",
                                                     "port",   "raft_addr"};

// Type names as shown in --help and docs: "bool", "int", "uint16",
// "duration", "string", "list", "map".
std::string_view TypeName(const KeySpec& key);

// The key's value in `config` as text: "true", "6868", "30s", "a,b",
// "k=v,k2=v2". Secrets are shown as "<redacted>" when non-empty if
// `redact`.
std::string FormatValue(const KeySpec& key, const AgentConfig& config, bool redact);

// True when the key has the same value in both.
bool SameValue(const KeySpec& key, const AgentConfig& a, const AgentConfig& b);

// "CKRON_RPC_PORT" / "DKRON_RPC_PORT" for prefix "CKRON_" / "DKRON_".
std::string EnvName(std::string_view prefix, std::string_view key_name);

}  // namespace ckron::config

#endif  // CKRON_CONFIG_KEYS_H_
