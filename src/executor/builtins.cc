#include "executor/builtins.h"

#include <memory>

namespace ckron::executor {

Status RegisterBuiltins(ExecutorRegistry& registry, const BuiltinOptions& options) {
  CKRON_RETURN_IF_ERROR(registry.Register("shell", std::make_shared<ShellExecutor>(options.shell)));
  return registry.Register("http", std::make_shared<HttpExecutor>(options.http));
}

}  // namespace ckron::executor
