#include "fsm/job.h"

namespace ckron::fsm {

std::string ExecutionKey(absl::Time started_at, const std::string& node_name) {
  return std::to_string(absl::ToUnixNanos(started_at)) + "-" + node_name;
}

std::string RunExecutionId(std::int64_t group, std::uint32_t attempt,
                           const std::string& node_name) {
  return std::to_string(group + static_cast<std::int64_t>(attempt) - 1) + "-" + node_name;
}

}  // namespace ckron::fsm
