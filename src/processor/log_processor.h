// The built-in `log` processor (dkron-spec §5.3): writes an execution's
// output to the server's log, one log line per output line, framed by
// BEGIN/END lines that name the job and the execution. Successful
// executions log at info, failed ones at error (Dkron prints them to stdout
// and stderr; ckron's log sends error lines to stderr). Unless `forward` is
// true, the stored output becomes kLogOutputPlaceholder.
//
// Thread safety: safe for concurrent use (spdlog loggers are).
#ifndef CKRON_PROCESSOR_LOG_PROCESSOR_H_
#define CKRON_PROCESSOR_LOG_PROCESSOR_H_

#include <memory>

#include "processor/processor.h"
#include "spdlog/logger.h"

namespace ckron::processor {

// What the output is replaced with when not forwarding (Dkron's text).
inline constexpr char kLogOutputPlaceholder[] = "Output in dkron log";

class LogProcessor final : public Processor {
 public:
  // REQUIRES: logger != nullptr. Production passes logging::Get("processor").
  explicit LogProcessor(std::shared_ptr<spdlog::logger> logger);

  // Never fails.
  Result<fsm::Execution> Process(fsm::Execution execution,
                                 const ProcessorConfig& config) const override;
  // Errors: as ValidateForward().
  Status Validate(const ProcessorConfig& config) const override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace ckron::processor

#endif  // CKRON_PROCESSOR_LOG_PROCESSOR_H_
