#include "fsm/job.h"

namespace ckron::fsm {

std::string ExecutionKey(absl::Time started_at, const std::string& node_name) {
  return std::to_string(absl::ToUnixNanos(started_at)) + "-" + node_name;
}

}  // namespace ckron::fsm
