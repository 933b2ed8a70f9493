// Job admission: everything a server checks before it proposes a PutJob,
// so that a bad job is refused at the edge with a message that names the
// field, instead of being stored and failing at run time.
//
// Thread safety: a pure function of its arguments; safe to call from any
// thread (the registries are safe for concurrent use).
#ifndef CKRON_ADMISSION_ADMISSION_H_
#define CKRON_ADMISSION_ADMISSION_H_

#include "common/status.h"
#include "executor/registry.h"
#include "fsm/job.h"
#include "processor/registry.h"

namespace ckron::admission {

// Checks, in this order, stopping at the first problem:
//  1. fsm::ValidateJob: name, parent, timezone, schedule, misfire_policy,
//     starting_deadline, concurrency, with Dkron's messages unchanged
//     (`name contains illegal character 'X'`, `can't parse job schedule:
//     ...`, ...).
//  2. retry_backoff is not negative: `retry_backoff: must not be negative`.
//  3. executor_config, by the executor's own Validate() (shell: `timeout`,
//     `mem_limit`; http: `url`, `method`), as
//     `executor_config.<key>: <executor's message>` when one key is to
//     blame (the config is accepted without it), else
//     `executor_config: <message>` (a required key is missing, or several
//     keys are wrong). An
//     executor not registered here, or "", is accepted as Dkron does: it
//     may be a plugin installed only on the agents that run the job.
//  4. Each processor's config (in map order) by that processor's
//     Validate(), as `processors.<name>.<key>: <message>`. A processor name
//     not registered here is accepted, as Dkron's API accepts it; the
//     leader's pipeline then logs "not found" for each execution and
//     stores the output unprocessed.
// Errors: kInvalidArgument only. The job's parent existing is not checked
// here: that depends on the replicated state, and the state machine checks
// it when it applies the PutJob.
Status ValidateJobForWrite(const fsm::Job& job, const executor::ExecutorRegistry& executors,
                           const processor::ProcessorRegistry& processors);

}  // namespace ckron::admission

#endif  // CKRON_ADMISSION_ADMISSION_H_
