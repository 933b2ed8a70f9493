// The messages both AgentRunner streams send (run.proto: Run and RunMany),
// built in one place so the two say the same thing for the same run.
//
// Thread safety: pure functions.
#ifndef CKRON_AGENT_RUN_EVENTS_H_
#define CKRON_AGENT_RUN_EVENTS_H_

#include <string>

#include "absl/time/time.h"
#include "agent/run_table.h"
#include "ckron/v1/run.pb.h"
#include "common/clock.h"
#include "common/status.h"
#include "fsm/job.h"

namespace ckron::agent {

ckron::v1::RunEvent StartedEvent(absl::Time started_at, bool duplicate);
ckron::v1::RunEvent FinishedEvent(const fsm::Execution& execution);
ckron::v1::RunEvent OutputEvent(std::string output);

// The run a request asks for. kInvalidArgument: no execution id, or a job
// that does not decode.
Result<RunSpec> SpecFromRequest(const ckron::v1::RunRequest& request);

// The result sent for a run refused before it started (shutting down, too
// many running): failed, stamped now, nothing ran.
fsm::Execution RefusedExecution(const ckron::v1::RunRequest& request, const std::string& job_name,
                                const std::string& node_name, const Clock& clock,
                                const Status& why);

}  // namespace ckron::agent

#endif  // CKRON_AGENT_RUN_EVENTS_H_
