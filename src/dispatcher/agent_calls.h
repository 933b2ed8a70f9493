// The leader's calls to agents over gRPC (proto/ckron/v1/run.proto,
// AgentRunner), the production AgentTransport (agent_transport.h): one
// server-streaming Run per dispatched execution, and Cancel for the
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
#include "dispatcher/agent_transport.h"
#include "fsm/job.h"
#include "fsm/state.h"

namespace ckron::dispatcher {

class AgentCalls final : public AgentTransport {
 public:
  // `observer` must outlive this object.
  explicit AgentCalls(RunObserver* observer);
  ~AgentCalls() override;  // CancelAllAndWait()

  AgentCalls(const AgentCalls&) = delete;
  AgentCalls& operator=(const AgentCalls&) = delete;

  // AgentTransport (agent_transport.h).
  std::uint64_t Run(const std::string& rpc_addr, const ckron::v1::RunRequest& request,
                    const fsm::RunKey& key) override;
  void CancelStream(std::uint64_t stream) override;
  void CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                       const std::string& execution_id, absl::Duration timeout) override;
  void CancelAllAndWait() override;

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
