// What a configuration reload (SIGHUP) changes. Only keys marked reloadable
// in the registry (tags, notification settings, log-level) take effect
// without a restart; other changes are reported so the operator knows a
// restart is needed.
//
// Thread safety: pure functions.
#ifndef CKRON_CONFIG_DIFF_H_
#define CKRON_CONFIG_DIFF_H_

#include <string>
#include <vector>

#include "config/agent_config.h"
#include "config/keys.h"

namespace ckron::config {

struct ConfigChange {
  const KeySpec* key;  // points into the registry
  std::string before;  // FormatValue, secrets redacted
  std::string after;
};

// Every key whose value differs, in registry order.
std::vector<ConfigChange> DiffConfigs(const AgentConfig& running, const AgentConfig& next);

// `running` with the reloadable keys' values taken from `next`.
AgentConfig ApplyReloadable(const AgentConfig& running, const AgentConfig& next);

}  // namespace ckron::config

#endif  // CKRON_CONFIG_DIFF_H_
