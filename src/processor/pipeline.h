// The leader's processor pipeline (dkron-spec §4.4, §5.2): every finished
// execution a server receives passes through the job's processors before it
// is proposed for storage.
//
// Thread safety: Process() is const and safe for concurrent use, as long as
// the registry outlives the Pipeline.
#ifndef CKRON_PROCESSOR_PIPELINE_H_
#define CKRON_PROCESSOR_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "fsm/job.h"
#include "processor/registry.h"

namespace ckron::processor {

class Pipeline {
 public:
  // `registry` must outlive the Pipeline. `node_name` is this server's name,
  // given to every processor as `reporting_node`.
  Pipeline(const ProcessorRegistry* registry, std::string node_name);

  // Runs the job's processors (job.processors, in map order, each with its
  // config plus reporting_node) on `execution` and returns what to store.
  // Never fails as a call: a processor error is logged (and counted) and
  // the execution passes on unchanged.
  // A processor that throws a std::exception counts as one that failed.
  fsm::Execution Process(const fsm::Job& job, fsm::Execution execution) const;

  // Processor runs that failed (unknown name or an error) since construction.
  std::uint64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  const ProcessorRegistry* registry_;  // not owned
  std::string node_name_;
  mutable std::atomic<std::uint64_t> errors_{0};
};

}  // namespace ckron::processor

#endif  // CKRON_PROCESSOR_PIPELINE_H_
