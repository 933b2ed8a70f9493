#include "executor/executor.h"

#include <utility>

#include "common/check.h"

namespace ckron::executor {
namespace {

// `prefix` then as much of the end of `body` as fits in kMaxOutputBytes.
std::string PrefixAndTail(std::string prefix, std::string_view body) {
  if (prefix.size() >= kMaxOutputBytes) {
    prefix.resize(kMaxOutputBytes);
    return prefix;
  }
  const std::size_t room = kMaxOutputBytes - prefix.size();
  if (body.size() > room) body.remove_prefix(body.size() - room);
  prefix.append(body);
  return prefix;
}

}  // namespace

ExecutionResult FinishExecution(ExecuteResponse response) {
  ExecutionResult result;
  result.exit_code = response.exit_code;
  result.success = response.error.empty();
  if (result.success) {
    result.output = PrefixAndTail("", response.output);
  } else {
    // dkron/grpc_agent.go: the error, a newline, then the executor's output.
    result.output = PrefixAndTail(std::move(response.error) + "\n", response.output);
  }
  return result;
}

ExecutionResult FailedExecution(const Status& status) {
  CKRON_CHECK(!status.ok());
  ExecutionResult result;
  result.success = false;
  result.output = PrefixAndTail(status.message(), "");
  return result;
}

}  // namespace ckron::executor
