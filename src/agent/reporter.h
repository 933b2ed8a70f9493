// Delivers this node's finished executions to the cluster (hop 9 of the data
// path, docs/architecture.md) and keeps the leases of its running ones alive
// (run.proto Executions).
//
// Reports: every execution given to Deliver() is sent with Executions.Report
// to a server, retried with exponential backoff across failures and leader
// changes until one acknowledges it (an ack means committed; reports are
// idempotent by execution id, so a retry after a lost ack is harmless).
// Reports go oldest first, in Executions.ReportMany calls, one call at a
// time: one report per call until a server has acknowledged one, then up to
// max_batch (and max_batch_bytes) per call to that server, so the results
// that queued while a call waited for its Raft commit share the next one;
// any failure drops back to one per call. A server without ReportMany gets
// one Report call per result instead (rpc::ExecutionsClient::ReportMany).
// Servers come from the member
// directory (alive members tagged server=true, at their rpc_addr tag): the
// reporter sticks to the last server that answered, follows a kNotLeader's
// leader hint (a Raft or RPC address of a known server), and otherwise
// rotates through the servers. kInvalidArgument and kNotFound answers (a
// malformed report, a deleted job) are final: the report is dropped and
// logged. The queue lives in memory: at most max_pending reports; beyond
// that the oldest is dropped (logged as an error, counted): its lease then
// runs out on the leader, which treats the execution as lost.
//
// Leases: every lease/3, one Executions.RenewLeases listing every execution
// running here and every finished one whose report is not yet acknowledged
// (so a result waiting for a leader is not declared lost). Nothing is sent
// while there is none. A failed renewal is retried after renew_retry.
//
// Thread safety: safe for concurrent use. One owner thread
// (RunReportLoop) makes every call; Deliver() only enqueues. This class
// behaves like a monitor: mu_ guards the fields below it.
#ifndef CKRON_AGENT_REPORTER_H_
#define CKRON_AGENT_REPORTER_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "agent/run_table.h"
#include "common/status.h"
#include "fsm/job.h"
#include "rpc/executions_client.h"

namespace ckron::membership {
class Membership;
}  // namespace ckron::membership

namespace ckron::agent {

// A server the reporter may call.
struct ServerAddress {
  std::string rpc_addr;   // where Executions is served
  std::string raft_addr;  // its Raft address, to recognise leader hints ("" if unknown)
};
// Lists the servers now (called on the reporter's thread; must not block long).
using ServerLister = std::function<std::vector<ServerAddress>()>;
// Lists the executions running here now.
using RunningLister = std::function<std::vector<rpc::LeaseRef>()>;

// The alive members with server=true and an rpc_addr tag, sorted by name.
// `members` must outlive the returned function.
ServerLister GossipServers(const membership::Membership* members);

struct ReporterOptions {
  std::string node_name;  // RenewLeasesRequest.node_name; required
  // Reports held while no server acknowledges. More: survives a longer
  // outage; costs memory (each up to 256,000 bytes of output).
  std::size_t max_pending = 10000;
  // The leader's lease on a running execution; renewed every lease/3.
  absl::Duration lease = absl::Seconds(30);
  // After a failed renewal, the wait before the next attempt.
  absl::Duration renew_retry = absl::Seconds(1);
  // Report backoff: starts here after a failure, doubles up to max_backoff.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Deadline of one call.
  absl::Duration call_timeout = absl::Seconds(10);
  // Most reports in one call to a server that acknowledged the last ones
  // (they commit together), and the most bytes of output they may carry
  // together (a single larger report still goes alone): below gRPC's 4 MiB
  // message limit. 1 = strictly one at a time.
  std::size_t max_batch = 512;
  std::size_t max_batch_bytes = 2 << 20;
};

struct ReporterStats {
  std::uint64_t delivered = 0;     // given to Deliver()
  std::uint64_t acknowledged = 0;  // acked by a server
  std::uint64_t rejected = 0;      // dropped on a final error answer
  std::uint64_t overflowed = 0;    // dropped at max_pending
  std::uint64_t attempts = 0;      // Report calls made
  std::uint64_t renewals = 0;      // RenewLeases calls acknowledged
  std::size_t pending = 0;         // queued now
};

class Reporter final : public ResultSink {
 public:
  // `client` must outlive the reporter.
  Reporter(rpc::ExecutionsClient* client, ServerLister servers, RunningLister running,
           ReporterOptions options);
  // Stops at once (as Flush(0)).
  ~Reporter() override;

  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Starts the owner thread. Reports delivered before are kept and sent.
  void Start();

  // Queues a finished execution (finished_at set). Never blocks.
  void Deliver(fsm::Execution execution) override;

  // Keeps sending until every queued report is acknowledged or `timeout`
  // has passed, then stops the owner thread (Deliver() still queues, but
  // nothing is sent any more). OK when nothing was left; kTimeout naming
  // how many reports were not delivered (they are lost with the process).
  // Idempotent; also stops a reporter never started.
  Status Flush(absl::Duration timeout);

  ReporterStats stats() const;

 private:
  struct Pending {
    std::uint64_t seq;
    fsm::Execution execution;
  };
  using SteadyTime = std::chrono::steady_clock::time_point;

  void RunReportLoop();
  // One attempt for each of `batch`, in one call to one server, in
  // the order of `batch` / one renewal (true: renewed or nothing to
  // renew). MUST NOT hold mu_.
  std::vector<Status> ReportBatch(const std::vector<Pending>& batch, absl::Time deadline,
                                  bool* followed_hint);
  bool RenewOnce(const std::vector<rpc::LeaseRef>& leases, absl::Time deadline);
  // Picks where the next call goes; "" when no server is known.
  std::string PickServer();
  // Updates where the next call goes from the answer of `address`; returns
  // true if a leader hint was followed (worth retrying at once).
  bool Steer(const std::string& address, const Status& status);
  // How many of the oldest queued reports the next call carries (0 when
  // none is queued). REQUIRES: mu_ held.
  std::size_t BatchSize() const;
  // Running here, plus queued reports. REQUIRES: mu_ held.
  std::vector<rpc::LeaseRef> LeasesToRenew();

  rpc::ExecutionsClient* const client_;
  const ServerLister servers_;
  const RunningLister running_;
  const ReporterOptions options_;

  // Only the owner thread touches these.
  std::string preferred_;  // the server that answered last, or a leader hint
  std::size_t rotation_ = 0;
  bool window_open_ = false;  // preferred_ acknowledged the last batch: send many

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;   // guarded by mu_; oldest first
  std::uint64_t next_seq_ = 0;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  SteadyTime flush_deadline_;   // guarded by mu_; valid while stopping_
  ReporterStats stats_;         // guarded by mu_
  std::thread thread_;          // started by Start(), joined by Flush()
};

}  // namespace ckron::agent

#endif  // CKRON_AGENT_REPORTER_H_
