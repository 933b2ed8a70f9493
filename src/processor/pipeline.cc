#include "processor/pipeline.h"

#include <exception>
#include <string>
#include <utility>

#include "common/log.h"

namespace ckron::processor {

Pipeline::Pipeline(const ProcessorRegistry* registry, std::string node_name)
    : registry_(registry), node_name_(std::move(node_name)) {}

fsm::Execution Pipeline::Process(const fsm::Job& job, fsm::Execution execution) const {
  for (const auto& [name, job_config] : job.processors) {
    Result<std::shared_ptr<Processor>> processor = registry_->Find(name);
    if (!processor.ok()) {
      // Dkron logs "Plugin not found" and passes the execution on.
      errors_.fetch_add(1, std::memory_order_relaxed);
      logging::Get("processor")
          ->error("job={} execution={}: processor \"{}\" not found", job.name, execution.id, name);
      continue;
    }
    ProcessorConfig config = job_config;
    config[kReportingNodeKey] = node_name_;
    Result<fsm::Execution> processed = Status::Internal("processor did not return");
    try {
      processed = (*processor)->Process(execution, config);
    } catch (const std::exception& e) {
      // A processor is code ckron does not control the errors of (a
      // future plugin host, a library that throws): it must not take the
      // leader's result path down.
      processed = Status::Internal(std::string("threw: ") + e.what());
    }
    if (!processed.ok()) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      logging::Get("processor")
          ->error("job={} execution={}: processor \"{}\" failed: {}", job.name, execution.id, name,
                  processed.status().ToString());
      continue;
    }
    execution = std::move(processed).value();
  }
  return execution;
}

}  // namespace ckron::processor
