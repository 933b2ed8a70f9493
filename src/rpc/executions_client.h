// Calls to the Executions service of servers (proto/ckron/v1/run.proto):
// an agent reports its finished executions and renews the leases of the ones
// it runs. Keeps one gRPC channel per address (rpc/cluster_client.h's
// NewChannel: a restarted server is reached again within about a second).
//
// Errors: what the remote handler returned, unchanged (status_codec.h) —
// notably kNotLeader with the leader's address as hint — or, for transport
// failures, as status_codec.h's FromGrpc: kUnavailable (unreachable, or the
// connection broke: a Report may have been delivered, which is harmless
// because reports are idempotent by execution id), kTimeout (the deadline
// passed; same caveat), kFailedPrecondition (the server does not serve
// Executions, e.g. an older version).
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_RPC_EXECUTIONS_CLIENT_H_
#define CKRON_RPC_EXECUTIONS_CLIENT_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "fsm/job.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace ckron::rpc {

// One execution whose lease is renewed (fsm.proto ExecutionRef).
struct LeaseRef {
  std::string job_name;
  std::string execution_id;
  friend bool operator==(const LeaseRef&, const LeaseRef&) = default;
};

class ExecutionsClient {
 public:
  ExecutionsClient() = default;
  ExecutionsClient(const ExecutionsClient&) = delete;
  ExecutionsClient& operator=(const ExecutionsClient&) = delete;

  // Executions.Report: `execution` (finished_at set) to the server at
  // `address` ("host:port"). OK means the server acknowledged it: the
  // result is committed (or was already).
  Status Report(const std::string& address, const fsm::Execution& execution, absl::Time deadline);

  // Report for each of `executions`, all sent at once over one channel
  // (gRPC's callback API: no thread per call); returns when every call has
  // an answer, each execution's status at its index.
  std::vector<Status> ReportAll(const std::string& address,
                                const std::vector<const fsm::Execution*>& executions,
                                absl::Time deadline);

  // Executions.ReportMany: every one of `executions` in one call; each
  // execution's status at its index, as Report's. A server that does not
  // serve ReportMany (UNIMPLEMENTED: an older version, or a follower whose
  // leader is one) gets ReportAll instead, and ReportMany again only after
  // kReportManyRetry.
  std::vector<Status> ReportMany(const std::string& address,
                                 const std::vector<const fsm::Execution*>& executions,
                                 absl::Time deadline);
  static constexpr absl::Duration kReportManyRetry = absl::Minutes(1);

  // Executions.RenewLeases for `executions`, all running on `node_name`.
  // Returns when the leases now expire, by the leader's clock.
  Result<absl::Time> RenewLeases(const std::string& address, const std::string& node_name,
                                 const std::vector<LeaseRef>& executions, absl::Time deadline);

 private:
  std::shared_ptr<grpc::Channel> Channel(const std::string& address);

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;  // guarded by mu_
  // Servers that answered ReportMany with UNIMPLEMENTED, and until when
  // they get ReportAll instead. Guarded by mu_.
  std::map<std::string, absl::Time> no_report_many_;
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_EXECUTIONS_CLIENT_H_
