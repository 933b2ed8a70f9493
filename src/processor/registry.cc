#include "processor/registry.h"

#include <utility>

namespace ckron::processor {

Status ProcessorRegistry::Register(std::string name, std::shared_ptr<Processor> processor) {
  if (name.empty()) return Status::InvalidArgument("processor name is empty");
  if (!processor) return Status::InvalidArgument("processor \"" + name + "\" is null");
  std::lock_guard lock(mu_);
  auto [it, inserted] = processors_.try_emplace(std::move(name), std::move(processor));
  if (!inserted)
    return Status::AlreadyExists("processor \"" + it->first + "\" is already registered");
  return OkStatus();
}

Result<std::shared_ptr<Processor>> ProcessorRegistry::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = processors_.find(name);
  if (it == processors_.end())
    return Status::NotFound("processor \"" + std::string(name) + "\" is not registered");
  return it->second;
}

Status ProcessorRegistry::Validate(std::string_view name, const ProcessorConfig& config) const {
  Result<std::shared_ptr<Processor>> processor = Find(name);
  if (!processor.ok()) return OkStatus();  // unknown: reported when executions are processed
  return (*processor)->Validate(config);
}

std::vector<std::string> ProcessorRegistry::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  names.reserve(processors_.size());
  for (const auto& [name, processor] : processors_) names.push_back(name);
  return names;
}

}  // namespace ckron::processor
