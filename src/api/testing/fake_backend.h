// A Backend for handler tests: a real ReplicatedState over an in-memory
// execution store, with proposals applied at once (as a single leader
// would), and members, leader and runs recorded in plain fields.
//
// Thread safety: not thread-safe beyond what the tests need (one request
// at a time).
#ifndef CKRON_API_TESTING_FAKE_BACKEND_H_
#define CKRON_API_TESTING_FAKE_BACKEND_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "api/backend.h"

namespace ckron::api::testing {

class FakeBackend final : public Backend {
 public:
  FakeBackend() : state_(&store_) {}

  std::string node_name() const override { return "node-a"; }
  std::string version() const override { return "test"; }
  const replica::ReplicatedState& state() const override { return state_; }
  Status ValidateJob(const fsm::Job& job) const override { return fsm::ValidateJob(job); }

  Result<fsm::Outcome> Propose(fsm::Command command, absl::Time) override {
    if (!propose_error.ok()) return propose_error;
    ++index_;
    const std::string bytes = replica::EncodeCommand(now, std::move(command));
    return replica::OutcomeOf(state_.Apply({LogIndex(index_), Term(1), 0, 1}, bytes));
  }
  // Answered at once, unless hold_proposals: then queued in `held` for the
  // test to complete (ReleaseHeld), as a leader answers from Raft's apply.
  void ProposeAsync(fsm::Command command, absl::Time deadline, ProposeDone done) override {
    if (!hold_proposals) return done(Propose(std::move(command), deadline));
    held.push_back([this, c = std::make_shared<fsm::Command>(std::move(command)), deadline,
                    done = std::move(done)] { done(Propose(std::move(*c), deadline)); });
  }
  // Completes the held proposals in order.
  void ReleaseHeld() {
    auto h = std::move(held);
    held.clear();
    for (auto& f : h) f();
  }
  Status RunJob(const std::string& job, bool force, absl::Time) override {
    if (!state_.Read([&](const fsm::State& s) { return s.FindJob(job) != nullptr; })) {
      return Status::NotFound("job \"" + job + "\" not found");
    }
    runs.emplace_back(job, force);
    return run_error;
  }
  Status CancelExecution(const std::string& job, const std::string& id, absl::Time) override {
    cancels.emplace_back(job, id);
    return OkStatus();
  }
  std::optional<std::string> LiveOutput(const std::string&, const std::string&) const override {
    return live_output;
  }
  std::vector<MemberInfo> Members() const override { return members; }
  std::map<std::string, std::string> LocalTags() const override { return {{"role", "dkron"}}; }
  std::map<std::string, std::string> GossipStats() const override { return {{"members", "1"}}; }
  bool IsLeader() const override { return leader == "node-a"; }
  std::optional<std::string> LeaderName() const override {
    if (leader.empty()) return std::nullopt;
    return leader;
  }
  std::map<std::string, std::vector<std::string>> Peers() const override {
    return {{"global", {"node-a"}}};
  }
  std::vector<RaftPeerInfo> RaftPeers() const override { return raft_peers; }
  void Leave() override { ++leaves; }

  // Records an execution directly (as if the leader committed it).
  void AddExecution(fsm::Execution e, bool running) {
    if (running) {
      (void)Propose(fsm::ExecutionStarted{std::move(e), now + absl::Minutes(1)}, now);
    } else {
      (void)Propose(fsm::ExecutionFinished{std::move(e)}, now);
    }
  }

  absl::Time now = absl::FromUnixSeconds(1'790'000'000);
  Status propose_error;
  bool hold_proposals = false;
  std::vector<std::function<void()>> held;
  Status run_error;
  std::vector<std::pair<std::string, bool>> runs;
  std::vector<std::pair<std::string, std::string>> cancels;
  std::optional<std::string> live_output;
  std::vector<MemberInfo> members;
  std::string leader = "node-a";
  std::vector<RaftPeerInfo> raft_peers = {{"1", "node-a", "127.0.0.1:8300", "voter", true}};
  int leaves = 0;

 private:
  fsm::MemoryExecutionStore store_;
  replica::ReplicatedState state_;
  std::uint64_t index_ = 0;
};

}  // namespace ckron::api::testing

#endif  // CKRON_API_TESTING_FAKE_BACKEND_H_
