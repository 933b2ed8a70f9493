// One call to an agent's AgentRunner service (proto/ckron/v1/run.proto) made
// by a server on behalf of the REST API: cancel a running execution. (The
// leader's Run streams live in dispatcher/agent_calls.h.)
//
// Thread safety: a free function; safe from any thread.
#ifndef CKRON_RPC_AGENT_RUNNER_CLIENT_H_
#define CKRON_RPC_AGENT_RUNNER_CLIENT_H_

#include <string>

#include "absl/time/time.h"
#include "common/status.h"

namespace ckron::rpc {

// AgentRunner.Cancel at `rpc_addr`: the agent kills the execution and
// reports it as failed. Errors: kNotFound (not running there), kUnavailable
// (unreachable), kTimeout.
Status CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                       const std::string& execution_id, absl::Time deadline);

}  // namespace ckron::rpc

#endif  // CKRON_RPC_AGENT_RUNNER_CLIENT_H_
