// Fakes of the node views the RPC edge uses (rpc/cluster_view.h), for
// tests: a Raft server whose answers the test scripts (or which applies
// proposals to a ReplicatedState, as a one-server Raft), and a directory of
// server addresses.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_RPC_TESTING_FAKES_H_
#define CKRON_RPC_TESTING_FAKES_H_

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "replica/replicated_state.h"
#include "rpc/cluster_view.h"

namespace ckron::rpc::testing {

// A Raft server whose answers the test scripts.
class FakeRaft final : public LocalRaft {
 public:
  explicit FakeRaft(RaftId id) : id_(id) {}

  void Lead(bool lead) { leading_ = lead; }
  void SetLeader(std::optional<raft::LeaderInfo> leader) {
    std::lock_guard lock(mu_);
    leader_ = std::move(leader);
  }
  // Proposals are applied to `state` (as a one-server Raft would) instead
  // of answered from the script.
  void ApplyTo(replica::ReplicatedState* state) {
    std::lock_guard lock(mu_);
    apply_to_ = state;
  }
  // Results of successive proposals; the last one repeats.
  void Script(std::vector<Result<raft::Applied>> results) {
    std::lock_guard lock(mu_);
    script_ = std::move(results);
  }
  int proposals() const { return proposals_.load(); }
  int leader_queries() const { return leader_queries_.load(); }
  std::string last_command() const {
    std::lock_guard lock(mu_);
    return last_command_;
  }

  RaftId id() const override { return id_; }
  bool IsLeader() const override { return leading_.load(); }
  std::optional<raft::LeaderInfo> Leader() const override {
    ++leader_queries_;
    std::lock_guard lock(mu_);
    if (leading_) return raft::LeaderInfo{id_, "local"};
    return leader_;
  }
  std::vector<raft::Server> Configuration() const override { return {}; }
  raft::NodeInfo Info() const override { return {}; }
  std::future<Result<raft::Applied>> Propose(std::string command) override {
    std::lock_guard lock(mu_);
    std::promise<Result<raft::Applied>> p;
    const int n = proposals_++;
    last_command_ = command;
    if (!leading_) {
      p.set_value(Status::NotLeader(leader_ ? leader_->address : "", "not leader"));
    } else if (apply_to_ != nullptr) {
      const LogIndex index(static_cast<std::uint64_t>(n + 1));
      raft::ApplyOutput out = apply_to_->Apply({index, Term(1), 0, 1}, command);
      p.set_value(raft::Applied{index, std::move(out.bytes), std::move(out.object)});
    } else if (script_.empty()) {
      p.set_value(raft::Applied{LogIndex(static_cast<std::uint64_t>(n + 1)), "ok:" + command});
    } else {
      p.set_value(script_[std::min<std::size_t>(static_cast<std::size_t>(n), script_.size() - 1)]);
    }
    return p.get_future();
  }
  std::future<Status> RemoveServer(RaftId) override {
    std::promise<Status> p;
    p.set_value(OkStatus());
    return p.get_future();
  }

 private:
  const RaftId id_;
  std::atomic<bool> leading_{false};
  std::atomic<int> proposals_{0};
  mutable std::atomic<int> leader_queries_{0};
  mutable std::mutex mu_;
  std::optional<raft::LeaderInfo> leader_;
  std::vector<Result<raft::Applied>> script_;
  replica::ReplicatedState* apply_to_ = nullptr;
  std::string last_command_;
};

class FakeDirectory final : public ServerDirectory {
 public:
  void Add(RaftId id, std::string name, std::string rpc_addr) {
    std::lock_guard lock(mu_);
    servers_[id] = {std::move(name), std::move(rpc_addr)};
  }
  std::optional<ServerAddress> FindServer(RaftId id) const override {
    std::lock_guard lock(mu_);
    auto it = servers_.find(id);
    if (it == servers_.end()) return std::nullopt;
    return it->second;
  }

 private:
  mutable std::mutex mu_;
  std::map<RaftId, ServerAddress> servers_;
};

}  // namespace ckron::rpc::testing

#endif  // CKRON_RPC_TESTING_FAKES_H_
