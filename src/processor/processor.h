// The Processor interface (dkron-spec §5.2): a step that sees one finished
// execution after the leader receives it and before it is stored, and may
// ship its output elsewhere or change what is stored. Dkron runs processors
// as go-plugin subprocesses; ckron runs them in-process behind this
// interface.
//
// Thread safety: implementations must be safe for concurrent use; the leader
// may process executions of different jobs at the same time.
#ifndef CKRON_PROCESSOR_PROCESSOR_H_
#define CKRON_PROCESSOR_PROCESSOR_H_

#include "common/status.h"
#include "fsm/job.h"

namespace ckron::processor {

// One processor's settings from the job's `processors` map, plus the keys
// the pipeline injects (kReportingNodeKey).
using ProcessorConfig = fsm::StringMap;

// The key the pipeline adds to every processor's config: the name of the
// server that processes the execution (Dkron's "reporting_node").
inline constexpr char kReportingNodeKey[] = "reporting_node";

class Processor {
 public:
  virtual ~Processor() = default;

  // Processes one finished execution and returns what should be stored in
  // its place. Errors: any code; the pipeline logs the error and stores the
  // execution as it was before this processor.
  virtual Result<fsm::Execution> Process(fsm::Execution execution,
                                         const ProcessorConfig& config) const = 0;

  // Checks a job's config for this processor before the job is stored.
  // Errors: kInvalidArgument naming the key ("forward: ..."). The default
  // accepts everything.
  virtual Status Validate(const ProcessorConfig& config) const;
};

}  // namespace ckron::processor

#endif  // CKRON_PROCESSOR_PROCESSOR_H_
