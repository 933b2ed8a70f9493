#include "rpc/leader_client.h"

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
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

// Proposes `commands` one Cluster.Propose at a time (a leader of an older
// version); `done` gets one result per command.
void ProposeOneByOne(ClusterClient* client, const std::string& address,
                     std::shared_ptr<std::vector<std::string>> commands, absl::Time deadline,
                     std::function<void(ProposalBatcher::BatchResult)> done,
                     std::shared_ptr<std::vector<Result<raft::Applied>>> out = nullptr) {
  if (!out) out = std::make_shared<std::vector<Result<raft::Applied>>>();
  if (out->size() == commands->size()) return done(std::move(*out));
  const std::string& next = (*commands)[out->size()];
  client->ProposeAsync(address, next, /*forwarded=*/true, deadline,
                       [client, address, commands, deadline, done, out](Result<raft::Applied> r) {
                         out->push_back(std::move(r));
                         ProposeOneByOne(client, address, commands, deadline, done, out);
                       });
}

}  // namespace

// One proposal in flight through ProposeAsync.
struct LeaderClient::Op {
  Op(std::string c, absl::Time d, absl::Duration b, ProposeDone f)
      : command(std::move(c)), deadline(d), backoff(b), done(std::move(f)) {}
  const std::string command;  // kept for the retries
  const absl::Time deadline;

  std::mutex mu;
  // The fields below are guarded by mu.
  absl::Duration backoff;      // before the next retry
  bool maybe_applied = false;  // an attempt answered kOutcomeUnknown
  bool attempt_out = false;    // an attempt is out (not between attempts)
  std::uint64_t attempt = 0;   // the latest attempt's number; older answers are stale
  TimerQueue::Id deadline_timer = 0;
  ProposeDone done;  // empty once answered

  // Takes `done` for answering (outside mu). REQUIRES: mu held.
  ProposeDone Finish() {
    ProposeDone d = std::move(done);
    done = nullptr;
    return d;
  }
};

LeaderClient::LeaderClient(LocalRaft* raft, const ServerDirectory* directory, ClusterClient* client,
                           LeaderClientOptions options)
    : raft_(raft),
      directory_(directory),
      options_(options),
      forwarder_(
          [client](const std::string& address, std::vector<std::string> commands,
                   absl::Time deadline, std::function<void(ProposalBatcher::BatchResult)> done) {
            if (commands.size() == 1) {
              client->ProposeAsync(address, std::move(commands.front()), /*forwarded=*/true,
                                   deadline, [done = std::move(done)](Result<raft::Applied> r) {
                                     std::vector<Result<raft::Applied>> out;
                                     out.push_back(std::move(r));
                                     done(std::move(out));
                                   });
              return;
            }
            // Kept for an older leader without ProposeBatch, which refuses
            // the whole call (nothing happened): then one by one.
            auto copy = std::make_shared<std::vector<std::string>>(commands);
            client->ProposeBatchAsync(
                address, std::move(commands), deadline,
                [client, address, deadline, copy, done](ProposalBatcher::BatchResult r) {
                  if (r.ok() || r.status().code() != StatusCode::kFailedPrecondition) {
                    return done(std::move(r));
                  }
                  ProposeOneByOne(client, address, copy, deadline, done);
                });
          },
          options.forward_batches) {}

LeaderClient::~LeaderClient() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  attempts_back_.wait(lock, [&] { return attempts_out_ == 0; });
}

void LeaderClient::AttemptBack() {
  std::lock_guard lock(mu_);
  if (--attempts_out_ == 0) attempts_back_.notify_all();
}

void LeaderClient::ProposeLocalBatchAsync(
    std::vector<std::string> commands,
    std::function<void(std::vector<Result<raft::Applied>>)> done) {
  struct Batch {
    std::vector<Result<raft::Applied>> results;  // slot i written once, by command i's callback
    std::atomic<std::size_t> left;
    std::function<void(std::vector<Result<raft::Applied>>)> done;
  };
  if (commands.empty()) return done({});
  auto batch = std::make_shared<Batch>();
  batch->results.resize(commands.size(), Status::Internal("unanswered"));
  batch->left.store(commands.size());
  batch->done = std::move(done);
  for (std::size_t i = 0; i < commands.size(); ++i) {
    raft_->ProposeAsync(std::move(commands[i]), [batch, i](Result<raft::Applied> r) {
      batch->results[i] = std::move(r);
      // The last one answers; acq_rel makes every slot visible to it.
      if (batch->left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        batch->done(std::move(batch->results));
      }
    });
  }
}

Result<raft::Applied> LeaderClient::ProposeLocal(std::string command, absl::Time deadline) {
  auto future = raft_->Propose(std::move(command));
  if (future.wait_until(absl::ToChronoTime(deadline)) != std::future_status::ready) {
    // Queued or appended: it may still commit after we stop waiting.
    return Status::OutcomeUnknown("the proposal was not applied before the deadline");
  }
  return future.get();
}

Result<raft::Applied> LeaderClient::Propose(std::string command, absl::Time deadline) {
  std::promise<Result<raft::Applied>> p;
  std::future<Result<raft::Applied>> f = p.get_future();
  ProposeAsync(std::move(command), deadline,
               [&p](Result<raft::Applied> r) { p.set_value(std::move(r)); });
  return f.get();  // ProposeAsync answers by the deadline
}

void LeaderClient::ProposeAsync(std::string command, absl::Time deadline, ProposeDone done) {
  auto op =
      std::make_shared<Op>(std::move(command), deadline, options_.initial_backoff, std::move(done));
  {
    std::lock_guard lock(op->mu);
    // Before the first attempt: an answer may come before this returns.
    op->deadline_timer = timers_.Schedule(deadline, [this, op] { OnDeadline(op); });
  }
  StartAttempt(op);
}

void LeaderClient::StartAttempt(const std::shared_ptr<Op>& op) {
  std::uint64_t n = 0;
  {
    std::lock_guard lock(op->mu);
    if (!op->done) return;  // answered meanwhile (the deadline)
    n = ++op->attempt;
    op->attempt_out = true;
  }
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
    if (!stopping) ++attempts_out_;
  }
  if (stopping) return OnResult(op, n, Status::Cancelled("the server is stopping"));
  auto back = [this, op, n](Result<raft::Applied> r) {
    OnResult(op, n, std::move(r));
    AttemptBack();
  };
  const auto leader = raft_->Leader();
  if (raft_->IsLeader() || (leader && leader->id == raft_->id())) {
    return raft_->ProposeAsync(op->command, std::move(back));
  }
  if (!leader)
    return back(Status::Unavailable("no Raft leader is known (an election may be running)"));
  const auto server = directory_->FindServer(leader->id);
  if (!server || server->rpc_addr.empty()) {
    return back(Status::Unavailable("the leader (Raft id " + std::to_string(leader->id.value()) +
                                    ", " + leader->address + ") is not a known gossip member"));
  }
  forwarder_.ProposeAsync(server->rpc_addr, op->command, op->deadline, std::move(back));
}

void LeaderClient::OnResult(const std::shared_ptr<Op>& op, std::uint64_t attempt,
                            Result<raft::Applied> r) {
  ProposeDone done;
  std::optional<Result<raft::Applied>> answer;
  {
    std::lock_guard lock(op->mu);
    if (!op->done || attempt != op->attempt) return;  // answered already, or stale
    op->attempt_out = false;
    if (r.ok()) {
      answer = std::move(r);
    } else {
      const Status& s = r.status();
      if (s.code() == StatusCode::kOutcomeUnknown) op->maybe_applied = true;
      if (!Retryable(s.code())) {
        answer = op->maybe_applied
                     ? Status::OutcomeUnknown("an earlier attempt may have been applied; then: " +
                                              s.ToString())
                     : s;
      } else if (absl::Now() + op->backoff >= op->deadline) {
        answer = op->maybe_applied
                     ? Status::OutcomeUnknown(
                           "the proposal may or may not have been applied (no confirmation "
                           "before the deadline); last error: " +
                           s.ToString())
                     : Status::Unavailable("no leader accepted the proposal before the deadline: " +
                                           s.ToString());
      } else {
        // Exponential backoff between attempts, bounded by the deadline above.
        timers_.Schedule(absl::Now() + op->backoff, [this, op] { StartAttempt(op); });
        op->backoff = std::min(op->backoff * 2, options_.max_backoff);
        return;
      }
    }
    done = op->Finish();
    timers_.Cancel(op->deadline_timer);
  }
  done(std::move(*answer));
}

void LeaderClient::OnDeadline(const std::shared_ptr<Op>& op) {
  ProposeDone done;
  Status answer;
  {
    std::lock_guard lock(op->mu);
    if (!op->done) return;
    // An attempt still out may yet be applied; between attempts, nothing
    // is out (OnResult retries only when the backoff ends before this).
    answer = op->attempt_out || op->maybe_applied
                 ? Status::OutcomeUnknown(
                       "the proposal was not confirmed applied before the deadline; it may "
                       "still be")
                 : Status::Unavailable("no leader accepted the proposal before the deadline");
    done = op->Finish();
  }
  done(answer);
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
