// Calls to the Cluster service of other servers (proto/ckron/v1/
// cluster.proto): proposals forwarded to the leader, local reads, status.
// Keeps one gRPC channel per address (they reconnect by themselves, with a
// short backoff so a restarted server is reached again quickly).
//
// Errors: what the remote handler returned, unchanged (status_codec.h), or
// for transport failures:
//   Propose: kOutcomeUnknown when the call failed in transit (unreachable,
//            connection broken, deadline exceeded): the request may have
//            been delivered and applied. (gRPC does not tell a refused
//            connection from one that broke after sending.)
//   reads:   kUnavailable (unreachable), kTimeout (deadline).
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_RPC_CLUSTER_CLIENT_H_
#define CKRON_RPC_CLUSTER_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "fsm/job.h"
#include "raft/types.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace ckron::rpc {

struct ServerStatus {
  std::string node_name;
  RaftId raft_id;
  std::string state;  // "leader", "follower", ...
  Term term;
  RaftId leader_id;  // 0 = unknown
  std::string leader_address;
  LogIndex last_index, commit_index, last_applied, snapshot_index;
  std::uint64_t jobs = 0;
  std::uint64_t snapshots_restored = 0;
  LogIndex last_restored_index;
};

struct JobPage {
  std::vector<fsm::Job> jobs;
  std::string next_start_after;  // "" = no more
};

class ClusterClient {
 public:
  ClusterClient() = default;
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  // Proposes `command` at the server at `address` ("host:port"). With
  // `forwarded`, that server proposes only locally (kNotLeader otherwise).
  Result<raft::Applied> Propose(const std::string& address, std::string command, bool forwarded,
                                absl::Time deadline);
  // Cluster.ProposeBatch at the leader at `address`: one result per command,
  // in order (each as Propose with `forwarded`). The whole call fails with
  // kOutcomeUnknown in transit (any command may have been applied), or
  // kFailedPrecondition when that server does not serve ProposeBatch (an
  // older version: nothing happened).
  Result<std::vector<Result<raft::Applied>>> ProposeBatch(const std::string& address,
                                                          std::vector<std::string> commands,
                                                          absl::Time deadline);
  // The same without blocking (gRPC's callback API): `done` gets what the
  // blocking form would return, exactly once, on a gRPC callback thread (or
  // on the caller's before returning, when gRPC fails the call at once). It
  // must not block.
  void ProposeAsync(const std::string& address, std::string command, bool forwarded,
                    absl::Time deadline, std::function<void(Result<raft::Applied>)> done);
  void ProposeBatchAsync(const std::string& address, std::vector<std::string> commands,
                         absl::Time deadline,
                         std::function<void(Result<std::vector<Result<raft::Applied>>>)> done);
  // kNotFound when the server has no such job.
  Result<fsm::Job> GetJob(const std::string& address, const std::string& name, absl::Time deadline);
  Result<JobPage> ListJobs(const std::string& address, const std::string& start_after,
                           std::uint32_t limit, absl::Time deadline);
  Result<ServerStatus> GetStatus(const std::string& address, absl::Time deadline);
  // One job's executions, oldest first. kNotFound when the job is absent.
  Result<std::vector<fsm::Execution>> ListExecutions(const std::string& address,
                                                     const std::string& job_name, bool with_output,
                                                     absl::Time deadline);
  // Cluster.RunJob at the server at `address` (the leader's dispatcher).
  Status RunJob(const std::string& address, const std::string& job_name, bool force,
                absl::Time deadline);
  // Cluster.LiveOutput at the server at `address` (the leader's live view of
  // a running execution): nullopt when it does not stream there. `offset`
  // and `generation` (0, 0: the whole buffer) come from an earlier answer
  // (rpc/live_output_offsets.h). Errors: kNotLeader (that server does not
  // lead), a transport failure.
  struct LiveOutputAnswer {
    std::string output;  // the bytes after `offset`, or the whole buffer
    std::uint64_t end = 0;
    std::uint64_t generation = 0;  // 0: an older leader (whole buffers)
  };
  Result<std::optional<LiveOutputAnswer>> LiveOutput(const std::string& address,
                                                     const std::string& job_name,
                                                     const std::string& execution_id,
                                                     std::uint64_t offset, std::uint64_t generation,
                                                     absl::Time deadline);

 private:
  std::shared_ptr<grpc::Channel> Channel(const std::string& address);

  std::mutex mu_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;  // guarded by mu_
};

// A channel to `address` with ckron's reconnect backoff (100 ms to 1 s
// instead of gRPC's 1 s to 120 s): after a server restarts, callers reach it
// within about a second.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& address);

}  // namespace ckron::rpc

#endif  // CKRON_RPC_CLUSTER_CLIENT_H_
