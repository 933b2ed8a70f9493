// Renderings of the configuration for people: the effective configuration
// with each value's source (`ckron agent --print-config`), and the key
// reference table of docs/configuration.md.
//
// Thread safety: pure functions.
#ifndef CKRON_CONFIG_PRINT_H_
#define CKRON_CONFIG_PRINT_H_

#include <string>

#include "config/loader.h"

namespace ckron::config {

// Pretty-printed JSON:
//   {"config_file": "/etc/ckron/ckron.yml" | null,
//    "warnings": [...],
//    "keys": {"rpc-port": {"value": 7000, "source": "flag", "from": "--rpc-port"}, ...}}
// Keys in registry order; "from" is the flag, the env variable or
// "<file> key <key>", and absent for defaults. Values keep their type
// (bool, number, Go duration string, array, object). Secrets (encrypt,
// mail-password) read "<redacted>" when set. Bytes that are not UTF-8 are
// printed as U+FFFD.
std::string EffectiveConfigJson(const LoadedConfig& loaded);

// The Markdown table of every key (flag, env, YAML key, type, default,
// reload, meaning) between the markers in docs/configuration.md.
// `defaults` supplies the default values (node-name shows "host name").
std::string KeysMarkdownTable();

}  // namespace ckron::config

#endif  // CKRON_CONFIG_PRINT_H_
