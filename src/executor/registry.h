// Executors by name: "shell" and "http" are built in (builtins.h); the
// plugin host registers external ones under their plugin names
// (dkron-spec §6, "dkron-executor-foo" -> "foo").
//
// Thread safety: safe for concurrent use. Executors are usually registered
// at startup, but Register() may run while others look names up.
#ifndef CKRON_EXECUTOR_REGISTRY_H_
#define CKRON_EXECUTOR_REGISTRY_H_

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "executor/executor.h"

namespace ckron::executor {

// Dkron's messages for a job whose executor cannot run here
// (dkron/grpc_agent.go). The agent stores the first as a failed execution.
inline constexpr std::string_view kExecutorNotPresent =
    "grpc_agent: Specified executor is not present";
inline constexpr std::string_view kNoExecutorDefined =
    "grpc_agent: No executor defined, nothing to do";

class ExecutorRegistry {
 public:
  // Errors: kInvalidArgument if `name` is empty or `executor` is null;
  // kAlreadyExists if the name is taken (the first registration stays).
  Status Register(std::string name, std::shared_ptr<Executor> executor);

  // The executor registered as `name`. Errors: kInvalidArgument with
  // kNoExecutorDefined for ""; kNotFound with kExecutorNotPresent for a name
  // nobody registered. The returned executor stays valid while held.
  Result<std::shared_ptr<Executor>> Find(std::string_view name) const;

  // Validates a job's executor_config with the named executor. A name not
  // registered here is OK: the executor may be a plugin installed only on
  // the agents that run the job (Dkron's API accepts such jobs too). So is
  // "" (Dkron stores the job and fails its runs with kNoExecutorDefined).
  // Errors: as the executor's Validate().
  Status Validate(std::string_view name, const ExecutorConfig& config) const;

  // Registered names, sorted.
  std::vector<std::string> Names() const;

 private:
  // Shared: every run looks its executor up, registration is rare.
  mutable std::shared_mutex mu_;
  std::map<std::string, std::shared_ptr<Executor>, std::less<>> executors_;  // GUARDED_BY(mu_)
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_REGISTRY_H_
