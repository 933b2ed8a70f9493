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
//   Cancel       NOT_FOUND when the execution is not running here.
//   ListRunning  the executions running here.
// A malformed request (no execution id, no job name, undecodable job)
// fails the call with INVALID_ARGUMENT; errors travel as status_codec.h.
//
// Thread safety: handlers run on gRPC's threads, concurrently; each Run
// call holds its gRPC thread while it relays.
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
  // How often a waiting Run handler checks whether its caller went away.
  // Shorter: a dead stream's handler thread is freed sooner.
  absl::Duration cancel_poll = absl::Milliseconds(100);
  const Clock* clock = &SystemClock::Get();
};

class RunService final : public ckron::v1::AgentRunner::Service {
 public:
  // `table` must outlive the service.
  RunService(RunTable* table, RunServiceOptions options);

  grpc::Status Run(grpc::ServerContext* context, const ckron::v1::RunRequest* request,
                   grpc::ServerWriter<ckron::v1::RunEvent>* writer) override;
  grpc::Status Cancel(grpc::ServerContext* context, const ckron::v1::CancelRequest* request,
                      ckron::v1::CancelResponse* response) override;
  grpc::Status ListRunning(grpc::ServerContext* context,
                           const ckron::v1::ListRunningRequest* request,
                           ckron::v1::ListRunningResponse* response) override;

 private:
  // The result sent for a run refused before it started.
  fsm::Execution RefusedExecution(const ckron::v1::RunRequest& request, const std::string& job_name,
                                  const Status& why) const;

  RunTable* const table_;
  const RunServiceOptions options_;
};

}  // namespace ckron::agent

#endif  // CKRON_AGENT_RUN_SERVICE_H_
