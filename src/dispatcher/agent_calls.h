// The leader's calls to agents over gRPC (proto/ckron/v1/run.proto,
// AgentRunner), the production AgentTransport (agent_transport.h), and
// Cancel for the `replace` policy.
//
// Runs travel in one long-lived AgentRunner.RunMany call per agent (a
// "session", agent_session.cc): each Run() queues a tagged run on it, and
// Flush() (or the end of the write in flight) sends what is queued in one
// message, so a burst of a thousand fires costs a handful of writes
// instead of a thousand calls. Each run is still its own "stream" to the observer. A
// session that breaks (agent restarted, connection lost) closes every run
// it carried with the transport's error, and the next Run() opens a new
// one. An agent that does not serve RunMany (an older version) gets one
// server-streaming Run call per execution instead, from then on.
//
// Uses gRPC's callback API, so open calls cost no threads; one channel per
// agent address is kept and reused for the life of the process.
//
// Thread safety: safe for concurrent use. RunObserver callbacks run on gRPC
// threads, except that CancelStream delivers that stream's OnRunClosed
// itself; for one stream they are sequential and OnRunClosed is the last.
#ifndef CKRON_DISPATCHER_AGENT_CALLS_H_
#define CKRON_DISPATCHER_AGENT_CALLS_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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
  void Flush() override;
  void CancelStream(std::uint64_t stream) override;
  void CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                       const std::string& execution_id, absl::Duration timeout) override;
  void CancelAllAndWait() override;

  // Runs whose streams are open (not yet closed).
  std::size_t open_streams() const;
  // RunMany calls open now (one per agent in use).
  std::size_t open_sessions() const;

 private:
  class Stream;   // one Run call (agents without RunMany)
  class Session;  // one RunMany call (agent_session.cc)
  // The stub for an agent, shared by the process and never destroyed (see
  // agent_calls.cc). Stubs are safe for concurrent use.
  static ckron::v1::AgentRunner::Stub* StubFor(const std::string& rpc_addr);
  // Called by a Stream in OnDone: Detach before it deletes itself, Closed
  // after (the last touch of this object).
  void Detach(std::uint64_t stream);
  void Closed();
  void CancelDone();
  // Called by a Session in OnDone, before it lets go of itself: forget it,
  // and when the agent does not serve RunMany, use Run calls from now on.
  void SessionEnded(Session* session, const std::string& rpc_addr, bool unimplemented);
  // A session for `rpc_addr` that accepts runs, opened if needed.
  std::shared_ptr<Session> SessionFor(const std::string& rpc_addr);
  // Cancels the Run call of `stream` if there is one. REQUIRES: mu_.
  bool CancelRunCall(std::uint64_t stream);
  // Cancels every Run call. REQUIRES: mu_.
  void CancelRunCalls();
  // Opens a Run call for one run (an agent without RunMany).
  void StartStream(std::uint64_t id, const std::string& rpc_addr,
                   const ckron::v1::RunRequest& request, const fsm::RunKey& key);

  RunObserver* const observer_;

  // This class behaves like a monitor: mu_ guards everything below.
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::uint64_t next_stream_ = 1;
  std::map<std::uint64_t, Stream*> streams_;  // cancellable streams; each deletes itself
  std::map<std::string, std::shared_ptr<Session>> sessions_;  // by agent address
  std::set<std::string> legacy_;                              // agents that do not serve RunMany
  std::size_t live_ = 0;         // Run calls and sessions not yet ended
  std::size_t legacy_open_ = 0;  // Run calls not yet ended
  std::size_t cancels_ = 0;      // Cancel calls in flight
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_AGENT_CALLS_H_
