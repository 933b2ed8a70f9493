#include "node/api_backend.h"

#include <cstdint>

#include "absl/time/clock.h"
#include "node/version.h"
#include "raft/types.h"
#include "replica/replicated_state.h"
#include "rpc/agent_runner_client.h"

namespace ckron::node {
namespace {

// How long a follower waits for the leader's live output of one execution.
constexpr absl::Duration kLiveOutputDeadline = absl::Milliseconds(500);
// How long a follower stops asking after a call to the leader failed.
constexpr absl::Duration kLiveOutputPause = absl::Seconds(1);

}  // namespace

ServerApiBackend::ServerApiBackend(ApiBackendViews views) : v_(std::move(views)) {}

std::string ServerApiBackend::version() const {
  return std::string(Version());
}

Status ServerApiBackend::ValidateJob(const fsm::Job& job) const {
  return v_.validate_job ? v_.validate_job(job) : fsm::ValidateJob(job);
}

Result<fsm::Outcome> ServerApiBackend::Propose(fsm::Command command, absl::Time deadline) {
  CKRON_ASSIGN_OR_RETURN(
      raft::Applied applied,
      v_.leader_client->Propose(replica::EncodeCommand(absl::Now(), std::move(command)), deadline));
  return replica::OutcomeOf(applied);
}

void ServerApiBackend::ProposeAsync(fsm::Command command, absl::Time deadline, ProposeDone done) {
  v_.leader_client->ProposeAsync(
      replica::EncodeCommand(absl::Now(), std::move(command)), deadline,
      [done = std::move(done)](Result<raft::Applied> applied) {
        if (!applied.ok()) return done(Result<fsm::Outcome>(applied.status()));
        // On the raft loop when leading: the outcome in memory. From a
        // remote leader: bytes, decoded by whoever answers.
        if (auto* outcome = std::any_cast<fsm::Outcome>(&applied->object))
          return done(Result<fsm::Outcome>(std::move(*outcome)));
        done(api::ProposedOutcome::Encoded(std::move(applied->result)));
      });
}

Status ServerApiBackend::RunJob(const std::string& job, bool force, absl::Time deadline) {
  return v_.leader_client->CallLeader([&] { return v_.dispatcher->RunNow(job, force, deadline); },
                                      [&](const std::string& addr) {
                                        return v_.cluster_client->RunJob(addr, job, force,
                                                                         deadline);
                                      },
                                      deadline);
}

Status ServerApiBackend::CancelExecution(const std::string& job, const std::string& id,
                                         absl::Time deadline) {
  const std::string node = v_.state->Read([&](const fsm::State& s) -> std::string {
    auto it = s.running().find({job, id});
    if (it != s.running().end()) return it->second.node_name;
    // A run sent to its node whose start is not recorded yet
    // (DispatcherOptions::start_record_delay): its id names its node.
    for (auto p = s.pending_runs().lower_bound(fsm::RunKey{job, INT64_MIN, "", 0});
         p != s.pending_runs().end() && p->first.job_name == job; ++p) {
      const fsm::RunKey& k = p->first;
      if (fsm::RunExecutionId(k.group, k.attempt, k.node_name) == id) return k.node_name;
    }
    return "";
  });
  if (node.empty()) {
    return Status::NotFound("execution \"" + id + "\" of job \"" + job + "\" is not running");
  }
  for (const membership::MemberInfo& m : v_.members->Members()) {
    if (m.name != node) continue;
    if (m.rpc_addr.empty()) break;
    return rpc::CancelExecution(m.rpc_addr, job, id, deadline);
  }
  return Status::Unavailable("node \"" + node + "\" running the execution is not reachable");
}

std::optional<std::string> ServerApiBackend::LiveOutput(const std::string& job,
                                                        const std::string& id) const {
  if (v_.raft->IsLeader()) return v_.dispatcher->LiveOutputOf(job, id);
  // A follower asks the leader over the cluster's gRPC channel (so API
  // TLS and credentials play no part). Short deadline: the caller polls,
  // and a leader that does not answer only delays the next poll.
  const auto leader = v_.raft->Leader();
  if (!leader || leader->id == v_.raft->id()) return std::nullopt;
  const auto server = v_.directory->FindServer(leader->id);
  if (!server || server->rpc_addr.empty()) return std::nullopt;
  // After a failed call, do not ask again for a while: a leader that does
  // not answer must not cost every stream (or every row of /v1/busy) the
  // whole deadline.
  const absl::Time now = absl::Now();
  if (now < absl::FromUnixNanos(live_output_paused_until_.load(std::memory_order_relaxed))) {
    return std::nullopt;
  }
  // Only the bytes after the copy kept of the leader's buffer come over.
  const rpc::LiveOutputCopy::Ask ask = live_copies_.Next(job, id);
  auto live = v_.cluster_client->LiveOutput(server->rpc_addr, job, id, ask.offset, ask.generation,
                                            now + kLiveOutputDeadline);
  if (!live.ok()) {
    live_output_paused_until_.store(absl::ToUnixNanos(absl::Now() + kLiveOutputPause),
                                    std::memory_order_relaxed);
    return std::nullopt;
  }
  if (!live->has_value()) {
    live_copies_.Forget(job, id);
    return std::nullopt;
  }
  rpc::ClusterClient::LiveOutputAnswer& a = **live;
  return live_copies_.Update(job, id, std::move(a.output), a.end, a.generation, now);
}

std::vector<api::MemberInfo> ServerApiBackend::Members() const {
  std::vector<api::MemberInfo> out;
  for (const membership::MemberInfo& m : v_.members->Members()) {
    api::MemberInfo a;
    a.name = m.name;
    a.addr = m.addr;
    a.port = m.port;
    a.tags = m.tags;
    a.status = static_cast<int>(m.status);
    a.status_text = membership::MemberStateName(m.status);
    for (int i = 0; i < 6; ++i) a.protocol[i] = m.protocol[i];
    out.push_back(std::move(a));
  }
  return out;
}

std::map<std::string, std::string> ServerApiBackend::LocalTags() const {
  return v_.members->LocalMember().tags;
}

std::map<std::string, std::string> ServerApiBackend::GossipStats() const {
  const membership::MembershipStats s = v_.members->Stats();
  int alive = 0, failed = 0, left = 0;
  for (const membership::MemberInfo& m : v_.members->Members()) {
    alive += m.status == membership::MemberState::kAlive;
    failed += m.status == membership::MemberState::kFailed;
    left += m.status == membership::MemberState::kLeft;
  }
  return {{"members", std::to_string(alive)},
          {"failed", std::to_string(failed)},
          {"left", std::to_string(left)},
          {"health_score", std::to_string(s.health_score)},
          {"packets_received", std::to_string(s.packets_received)},
          {"packets_sent", std::to_string(s.packets_sent)},
          {"packets_dropped_malformed", std::to_string(s.packets_dropped_malformed)},
          {"packets_dropped_decrypt", std::to_string(s.packets_dropped_decrypt)}};
}

bool ServerApiBackend::IsLeader() const {
  return v_.raft->IsLeader();
}

std::optional<std::string> ServerApiBackend::LeaderName() const {
  if (v_.raft->IsLeader()) return v_.node_name;
  const auto leader = v_.raft->Leader();
  if (!leader) return std::nullopt;
  if (leader->id == v_.raft->id()) return v_.node_name;
  const auto server = v_.directory->FindServer(leader->id);
  if (!server) return std::nullopt;
  return server->name;
}

std::map<std::string, std::vector<std::string>> ServerApiBackend::Peers() const {
  std::vector<std::string> names;
  for (const raft::Server& s : v_.raft->Configuration()) {
    const auto server = v_.directory->FindServer(s.id);
    names.push_back(server ? server->name : s.address);
  }
  return {{v_.region, std::move(names)}};
}

std::vector<api::RaftPeerInfo> ServerApiBackend::RaftPeers() const {
  const auto leader = v_.raft->Leader();
  const bool self_leads = v_.raft->IsLeader();
  std::vector<api::RaftPeerInfo> out;
  for (const raft::Server& s : v_.raft->Configuration()) {
    api::RaftPeerInfo p;
    p.id = std::to_string(s.id.value());
    if (s.id == v_.raft->id()) {
      p.name = v_.node_name;
    } else if (const auto server = v_.directory->FindServer(s.id)) {
      p.name = server->name;
    }
    p.address = s.address;
    p.suffrage = std::string(raft::RoleName(s.role));
    p.leader = s.id == v_.raft->id() ? self_leads : (leader && leader->id == s.id);
    out.push_back(std::move(p));
  }
  return out;
}

void ServerApiBackend::Leave() {
  if (v_.leave) v_.leave();
}

}  // namespace ckron::node
