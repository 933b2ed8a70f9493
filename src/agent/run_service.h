// ckron.v1.AgentRunner, served by every agent (proto/ckron/v1/run.proto):
// the leader's dispatcher runs executions here and watches them.
//
//   Run          started (duplicate when the id runs or ran here), output
//                chunks as produced, finished (the stored result). The
//                execution runs on a RunTable thread, not on the handler's:
//                the handler only relays, so a cancelled or broken stream
//                leaves the execution running, and its result still goes to
//                the reporter. A run refused before starting (shutting
//                down, too many running) answers a single `finished` with
//                success=false and no `started`: nothing ran, nothing is
//                reported, the id is not remembered.
//   RunMany      the same, for many runs over one call (run_session.cc):
//                each run's events tagged, several runs' events per
//                message when they queue up; a malformed run ends its tag
//                with `closed` (INVALID_ARGUMENT) and the call goes on.
//   Cancel       NOT_FOUND when the execution is not running here.
//   ListRunning  the executions running here.
// A malformed request (no execution id, no job name, undecodable job)
// fails the call with INVALID_ARGUMENT; errors travel as status_codec.h.
//
// Every method is served with gRPC's callback API: an open Run stream holds
// no thread. The execution's thread hands output to the stream's buffer,
// which wakes the stream's reactor; the reactor keeps at most one write in
// flight and sends whatever queued meanwhile as the next message.
//
// Thread safety: reactions run on gRPC's threads and the execution threads,
// concurrently; each stream's state is guarded by its own lock.
#ifndef CKRON_AGENT_RUN_SERVICE_H_
#define CKRON_AGENT_RUN_SERVICE_H_

#include <string>

#include "absl/time/time.h"
#include "agent/run_table.h"
#include "agent/stream_buffer.h"
#include "ckron/v1/run.grpc.pb.h"
#include "common/clock.h"
#include "common/status.h"
#include "fsm/job.h"

namespace ckron::agent {

struct RunServiceOptions {
  std::string node_name;  // for the result of a refused run
  StreamBufferOptions stream;
  const Clock* clock = &SystemClock::Get();
};

class RunService final : public ckron::v1::AgentRunner::CallbackService {
 public:
  // `table` must outlive the service (and the server serving it).
  RunService(RunTable* table, RunServiceOptions options);

  grpc::ServerWriteReactor<ckron::v1::RunEvent>* Run(grpc::CallbackServerContext* context,
                                                     const ckron::v1::RunRequest* request) override;
  grpc::ServerBidiReactor<ckron::v1::RunBatch, ckron::v1::RunEventBatch>* RunMany(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* context,
                                   const ckron::v1::CancelRequest* request,
                                   ckron::v1::CancelResponse* response) override;
  grpc::ServerUnaryReactor* ListRunning(grpc::CallbackServerContext* context,
                                        const ckron::v1::ListRunningRequest* request,
                                        ckron::v1::ListRunningResponse* response) override;

 private:
  class RunReactor;
  class SessionReactor;  // run_session.cc

  RunTable* const table_;
  const RunServiceOptions options_;
};

}  // namespace ckron::agent

#endif  // CKRON_AGENT_RUN_SERVICE_H_
