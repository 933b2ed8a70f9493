#include "executor/registry.h"

#include <utility>

namespace ckron::executor {

Status ExecutorRegistry::Register(std::string name, std::shared_ptr<Executor> executor) {
  if (name.empty()) return Status::InvalidArgument("executor name is empty");
  if (!executor) return Status::InvalidArgument("executor \"" + name + "\" is null");
  std::lock_guard lock(mu_);
  auto [it, inserted] = executors_.try_emplace(std::move(name), std::move(executor));
  if (!inserted)
    return Status::AlreadyExists("executor \"" + it->first + "\" is already registered");
  return OkStatus();
}

Result<std::shared_ptr<Executor>> ExecutorRegistry::Find(std::string_view name) const {
  if (name.empty()) return Status::InvalidArgument(std::string(kNoExecutorDefined));
  std::shared_lock lock(mu_);
  auto it = executors_.find(name);
  if (it == executors_.end()) return Status::NotFound(std::string(kExecutorNotPresent));
  return it->second;
}

Status ExecutorRegistry::Validate(std::string_view name, const ExecutorConfig& config) const {
  Result<std::shared_ptr<Executor>> executor = Find(name);
  if (!executor.ok()) return OkStatus();  // not here, or none: only runs can tell
  return (*executor)->Validate(config);
}

std::vector<std::string> ExecutorRegistry::Names() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> names;
  names.reserve(executors_.size());
  for (const auto& [name, executor] : executors_) names.push_back(name);
  return names;
}

}  // namespace ckron::executor
