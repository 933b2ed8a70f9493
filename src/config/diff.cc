#include "config/diff.h"

namespace ckron::config {

std::vector<ConfigChange> DiffConfigs(const AgentConfig& running, const AgentConfig& next) {
  std::vector<ConfigChange> out;
  for (const KeySpec& key : AllKeys()) {
    if (SameValue(key, running, next)) continue;
    out.push_back({&key, FormatValue(key, running, /*redact=*/true),
                   FormatValue(key, next, /*redact=*/true)});
  }
  return out;
}

AgentConfig ApplyReloadable(const AgentConfig& running, const AgentConfig& next) {
  AgentConfig out = running;
  for (const KeySpec& key : AllKeys()) {
    if (!key.reloadable) continue;
    std::visit([&](auto member) { out.*member = next.*member; }, key.field);
  }
  return out;
}

}  // namespace ckron::config
