#include "executor/builtins.h"

#include <cstdlib>
#include <memory>
#include <string_view>

#include "executor/builtin/noop.h"

namespace ckron::executor {

Status RegisterBuiltins(ExecutorRegistry& registry, const BuiltinOptions& options) {
  CKRON_RETURN_IF_ERROR(registry.Register("shell", std::make_shared<ShellExecutor>(options.shell)));
  CKRON_RETURN_IF_ERROR(registry.Register("http", std::make_shared<HttpExecutor>(options.http)));
  // Test hook for the scheduling benchmarks (builtin/noop.h).
  const char* noop = std::getenv(kNoopExecutorEnv);
  if (noop == nullptr || std::string_view(noop) != "1") return OkStatus();
  const char* start_log = std::getenv(kNoopExecutorLogEnv);
  return registry.Register("noop", std::make_shared<NoopExecutor>(start_log ? start_log : ""));
}

}  // namespace ckron::executor
