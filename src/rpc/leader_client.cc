#include "rpc/leader_client.h"

#include <chrono>
#include <thread>

#include "absl/time/clock.h"

namespace ckron::rpc {
namespace {

// Worth another attempt: the leader may change, appear or come back.
bool Retryable(StatusCode code) {
  switch (code) {
    case StatusCode::kNotLeader:
    case StatusCode::kUnavailable:
    case StatusCode::kOutcomeUnknown:
    case StatusCode::kCancelled:  // the server answering was stopping
    case StatusCode::kResourceExhausted:
    case StatusCode::kTimeout:
      return true;
    default:
      return false;
  }
}

}  // namespace

LeaderClient::LeaderClient(LocalRaft* raft, const ServerDirectory* directory, ClusterClient* client,
                           LeaderClientOptions options)
    : raft_(raft),
      directory_(directory),
      options_(options),
      forwarder_(
          [client](const std::string& address, std::vector<std::string> commands,
                   absl::Time deadline) -> Result<std::vector<Result<raft::Applied>>> {
            if (commands.size() > 1) {
              auto r = client->ProposeBatch(address, commands, deadline);
              // Only an older leader without ProposeBatch answers this way
              // (nothing happened): send one by one below.
              if (r.ok() || r.status().code() != StatusCode::kFailedPrecondition) return r;
            }
            std::vector<Result<raft::Applied>> out;
            for (std::string& c : commands) {
              out.push_back(client->Propose(address, std::move(c), /*forwarded=*/true, deadline));
            }
            return out;
          },
          options.forward_batches) {}

std::vector<Result<raft::Applied>> LeaderClient::ProposeLocalBatch(
    std::vector<std::string> commands, absl::Time deadline) {
  std::vector<std::future<Result<raft::Applied>>> futures;
  futures.reserve(commands.size());
  for (std::string& c : commands) futures.push_back(raft_->Propose(std::move(c)));
  std::vector<Result<raft::Applied>> out;
  out.reserve(futures.size());
  for (auto& f : futures) {
    if (f.wait_until(absl::ToChronoTime(deadline)) != std::future_status::ready) {
      out.push_back(Status::OutcomeUnknown("the proposal was not applied before the deadline"));
    } else {
      out.push_back(f.get());
    }
  }
  return out;
}

Result<raft::Applied> LeaderClient::ProposeLocal(std::string command, absl::Time deadline) {
  auto future = raft_->Propose(std::move(command));
  if (future.wait_until(absl::ToChronoTime(deadline)) != std::future_status::ready) {
    // Queued or appended: it may still commit after we stop waiting.
    return Status::OutcomeUnknown("the proposal was not applied before the deadline");
  }
  return future.get();
}

Result<raft::Applied> LeaderClient::Attempt(const std::string& command, absl::Time deadline) {
  if (raft_->IsLeader()) return ProposeLocal(command, deadline);
  const auto leader = raft_->Leader();
  if (!leader) return Status::Unavailable("no Raft leader is known (an election may be running)");
  if (leader->id == raft_->id()) return ProposeLocal(command, deadline);
  const auto server = directory_->FindServer(leader->id);
  if (!server || server->rpc_addr.empty()) {
    return Status::Unavailable("the leader (Raft id " + std::to_string(leader->id.value()) + ", " +
                               leader->address + ") is not a known gossip member");
  }
  return forwarder_.Propose(server->rpc_addr, command, deadline);
}

Result<raft::Applied> LeaderClient::Propose(std::string command, absl::Time deadline) {
  absl::Duration backoff = options_.initial_backoff;
  bool maybe_applied = false;
  while (true) {
    Result<raft::Applied> r = Attempt(command, deadline);
    if (r.ok()) return r;
    const Status& s = r.status();
    if (s.code() == StatusCode::kOutcomeUnknown) maybe_applied = true;
    if (!Retryable(s.code())) {
      if (maybe_applied) {
        return Status::OutcomeUnknown("an earlier attempt may have been applied; then: " +
                                      s.ToString());
      }
      return s;
    }
    if (absl::Now() + backoff >= deadline) {
      if (maybe_applied) {
        return Status::OutcomeUnknown(
            "the proposal may or may not have been applied (no confirmation before the "
            "deadline); last error: " +
            s.ToString());
      }
      return Status::Unavailable("no leader accepted the proposal before the deadline: " +
                                 s.ToString());
    }
    // Exponential backoff between attempts, bounded by the deadline above.
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace ckron::rpc

namespace ckron::rpc {

Status LeaderClient::CallLeader(const std::function<Status()>& here,
                                const std::function<Status(const std::string&)>& there,
                                absl::Time deadline) {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    Status s;
    const auto leader = raft_->Leader();
    if (raft_->IsLeader() || (leader && leader->id == raft_->id())) {
      s = here();
    } else if (!leader) {
      s = Status::Unavailable("no Raft leader is known (an election may be running)");
    } else if (const auto server = directory_->FindServer(leader->id);
               !server || server->rpc_addr.empty()) {
      s = Status::Unavailable("the leader (Raft id " + std::to_string(leader->id.value()) +
                              ") is not a known gossip member");
    } else {
      s = there(server->rpc_addr);
    }
    const bool retry = s.code() == StatusCode::kNotLeader || s.code() == StatusCode::kUnavailable ||
                       s.code() == StatusCode::kCancelled;
    if (!retry) return s;
    if (absl::Now() + backoff >= deadline) {
      return Status::Unavailable("no leader answered before the deadline: " + s.ToString());
    }
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace ckron::rpc
