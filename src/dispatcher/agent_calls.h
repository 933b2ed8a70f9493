// The leader's calls to agents (proto/ckron/v1/run.proto, AgentRunner):
// one server-streaming Run per dispatched execution, and Cancel for the
// `replace` policy. Uses gRPC's callback API, so a thousand open streams
// cost no threads; one channel per agent address is kept and reused for
// the life of the process.
//
// Thread safety: safe for concurrent use. RunObserver callbacks run on gRPC
// threads; for one stream they are sequential and OnRunClosed is the last.
#ifndef CKRON_DISPATCHER_AGENT_CALLS_H_
#define CKRON_DISPATCHER_AGENT_CALLS_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "ckron/v1/run.grpc.pb.h"
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
  // refusal or the transport's error, status_codec.h). The last callback
  // of the stream `stream`.
  virtual void OnRunClosed(const fsm::RunKey& key, std::uint64_t stream, Status status) = 0;
};

class AgentCalls {
 public:
  // `observer` must outlive this object.
  explicit AgentCalls(RunObserver* observer);
  ~AgentCalls();  // CancelAllAndWait()

  AgentCalls(const AgentCalls&) = delete;
  AgentCalls& operator=(const AgentCalls&) = delete;

  // Opens AgentRunner.Run at `rpc_addr`; returns the stream's handle.
  // Failures (unreachable agent, refusal) arrive as OnRunClosed.
  std::uint64_t Run(const std::string& rpc_addr, const ckron::v1::RunRequest& request,
                    const fsm::RunKey& key);
  // Cancels an open stream (OnRunClosed follows with kCancelled); no-op if
  // it already closed. The execution on the agent is not affected.
  void CancelStream(std::uint64_t stream);
  // Asks the agent at `rpc_addr` to cancel an execution of `job_name`
  // (AgentRunner.Cancel) without waiting; a failure is logged.
  void CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                       const std::string& execution_id, absl::Duration timeout);
  // Cancels every open stream and waits until every callback has returned
  // and every Cancel call has finished.
  void CancelAllAndWait();

  std::size_t open_streams() const;

 private:
  class Stream;
  // The stub for an agent, shared by the process and never destroyed (see
  // agent_calls.cc). Stubs are safe for concurrent use.
  static ckron::v1::AgentRunner::Stub* StubFor(const std::string& rpc_addr);
  // Called by a Stream in OnDone: Detach before it deletes itself, Closed
  // after (the last touch of this object).
  void Detach(std::uint64_t stream);
  void Closed();
  void CancelDone();

  RunObserver* const observer_;

  // This class behaves like a monitor: mu_ guards everything below.
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::uint64_t next_stream_ = 1;
  std::map<std::uint64_t, Stream*> streams_;  // cancellable streams; each deletes itself
  std::size_t live_ = 0;                      // streams not yet deleted
  std::size_t cancels_ = 0;                   // Cancel calls in flight
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_AGENT_CALLS_H_
