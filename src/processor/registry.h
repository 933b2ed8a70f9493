// Processors by name: "log" and "files" are built in (builtins.h).
//
// Thread safety: safe for concurrent use. Processors are usually registered
// at startup, but Register() may run while others look names up.
#ifndef CKRON_PROCESSOR_REGISTRY_H_
#define CKRON_PROCESSOR_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "processor/processor.h"

namespace ckron::processor {

class ProcessorRegistry {
 public:
  // Errors: kInvalidArgument if `name` is empty or `processor` is null;
  // kAlreadyExists if the name is taken (the first registration stays).
  Status Register(std::string name, std::shared_ptr<Processor> processor);

  // The processor registered as `name`; it stays valid while held.
  // Errors: kNotFound for a name nobody registered.
  Result<std::shared_ptr<Processor>> Find(std::string_view name) const;

  // Validates a job's config for the named processor. A name not
  // registered here is OK, as Dkron's API accepts any name: the pipeline
  // logs "not found" when the job's executions are processed. Errors: as
  // the processor's Validate().
  Status Validate(std::string_view name, const ProcessorConfig& config) const;

  // Registered names, sorted.
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Processor>, std::less<>> processors_;  // GUARDED_BY(mu_)
};

}  // namespace ckron::processor

#endif  // CKRON_PROCESSOR_REGISTRY_H_
