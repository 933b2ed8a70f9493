#include "processor/forward.h"

#include <string>

namespace ckron::processor {

std::optional<bool> ParseGoBool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    return false;
  }
  return std::nullopt;
}

bool ForwardEnabled(const ProcessorConfig& config) {
  auto it = config.find(kForwardKey);
  if (it == config.end()) return false;
  return ParseGoBool(it->second).value_or(false);
}

Status ValidateForward(const ProcessorConfig& config) {
  auto it = config.find(kForwardKey);
  if (it == config.end() || it->second.empty() || ParseGoBool(it->second)) return OkStatus();
  return Status::InvalidArgument(std::string(kForwardKey) + ": \"" + it->second +
                                 "\" is not a boolean (use true or false)");
}

}  // namespace ckron::processor
