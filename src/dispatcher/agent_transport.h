// How the dispatcher reaches agents (proto/ckron/v1/run.proto, AgentRunner):
// a stream of events per dispatched execution, and Cancel for the `replace`
// policy. Production uses AgentCalls (gRPC, agent_calls.h); the
// deterministic simulation (tests/sim/) plugs in an in-memory network with
// seeded loss and partitions. Keeping this seam narrow is what lets the
// simulation run the real Dispatcher.
#ifndef CKRON_DISPATCHER_AGENT_TRANSPORT_H_
#define CKRON_DISPATCHER_AGENT_TRANSPORT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "ckron/v1/run.pb.h"
#include "common/status.h"
#include "fsm/job.h"
#include "fsm/state.h"

namespace ckron::dispatcher {

// What one Run stream reports. Must not block (queue the work).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // The agent started the execution (or already had it: `duplicate`).
  virtual void OnRunStarted(const fsm::RunKey& key, absl::Time started_at, bool duplicate) = 0;
  // A chunk of the execution's output (only that chunk).
  virtual void OnRunOutput(const fsm::RunKey& key, std::string_view chunk) = 0;
  // The stream's `finished` event; `execution` as the agent stored it.
  virtual void OnRunFinished(const fsm::RunKey& key, fsm::Execution execution) = 0;
  // The stream ended: OK when the agent closed it, else why (the agent's
  // refusal or the transport's error, rpc/status_codec.h). The last
  // callback of the stream `stream`.
  virtual void OnRunClosed(const fsm::RunKey& key, std::uint64_t stream, Status status) = 0;
};

// Thread safety: implementations are safe for concurrent use. For one
// stream, RunObserver callbacks are sequential and OnRunClosed is the last;
// they may run on any thread (never inside Run; CancelStream may deliver
// the cancelled stream's OnRunClosed itself, so the caller must not hold a
// lock the observer takes; an in-memory transport may deliver them later
// from its own step).
class AgentTransport {
 public:
  virtual ~AgentTransport() = default;
  // Starts a run on the agent at `rpc_addr` (AgentRunner.RunMany, or Run);
  // returns the run's stream handle (> 0).
  // Failures (unreachable agent, refusal) arrive as OnRunClosed.
  virtual std::uint64_t Run(const std::string& rpc_addr, const ckron::v1::RunRequest& request,
                            const fsm::RunKey& key) = 0;
  // Sends the runs Run() has queued since the last Flush. An implementation
  // may hold runs until then, so that a burst goes to each agent in a few
  // messages; the dispatcher calls it at the end of each turn.
  virtual void Flush() {}
  // Cancels an open stream (OnRunClosed follows with kCancelled); no-op if
  // it already closed. The execution on the agent is not affected.
  virtual void CancelStream(std::uint64_t stream) = 0;
  // Asks the agent at `rpc_addr` to cancel an execution of `job_name`
  // (AgentRunner.Cancel) without waiting; a failure is logged.
  virtual void CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                               const std::string& execution_id, absl::Duration timeout) = 0;
  // Cancels every open stream and returns once no callback runs any more
  // and no Cancel call is in flight: after it, the observer is not called.
  virtual void CancelAllAndWait() = 0;
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_AGENT_TRANSPORT_H_
