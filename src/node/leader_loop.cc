#include "node/leader_loop.h"

#include <set>

#include "common/log.h"
#include "node/reconcile.h"
#include "node/server_members.h"
#include "raft/options.h"

namespace ckron::node {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("leader");
}

}  // namespace

LeaderLoop::LeaderLoop(LeaderLoopOptions options, raft::Node* raft,
                       const membership::Membership* members,
                       std::vector<LeadershipObserver*> observers)
    : options_(std::move(options)),
      raft_(raft),
      members_(members),
      observers_(std::move(observers)) {}

LeaderLoop::~LeaderLoop() {
  Stop();
}

void LeaderLoop::Start() {
  // Runs on the raft loop thread: only queue.
  listener_ = raft_->AddLeadershipListener([this](const raft::LeadershipEvent& e) {
    std::lock_guard lock(mu_);
    events_.push_back(e);
    cv_.notify_all();
  });
  listening_ = true;
  thread_ = std::thread([this] { RunLoop(); });
}

void LeaderLoop::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (listening_) {
    raft_->RemoveLeadershipListener(listener_);
    listening_ = false;
  }
}

std::uint64_t LeaderLoop::reconciles() const {
  std::lock_guard lock(mu_);
  return reconciles_;
}

void LeaderLoop::OnMemberEvent(const membership::MemberEvent& e) {
  using Type = membership::MemberEvent::Type;
  if (e.type == Type::kUser || !IsServer(e.member)) return;
  std::lock_guard lock(mu_);
  const RaftId id = raft::IdFromNodeName(e.member.name);
  if (e.type == Type::kReap) {
    reaped_[id] = e.member.name;
  } else if (e.type == Type::kJoin) {
    reaped_.erase(id);
  }
  reconcile_requested_ = true;
  cv_.notify_all();
}

bool LeaderLoop::LostQueued(Term term) const {
  for (const auto& e : events_) {
    if (e.kind == raft::LeadershipEvent::Kind::kLost && e.term == term) return true;
  }
  return false;
}

template <typename T>
std::optional<T> LeaderLoop::Await(std::future<T>& f, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  while (true) {
    if (stop_) return std::nullopt;
    lock.unlock();
    // Short slices so that Stop is not held up by a long catch-up.
    const auto slice = std::min<std::chrono::steady_clock::duration>(
        milliseconds(50), deadline - std::chrono::steady_clock::now());
    const bool ready = f.wait_for(slice) == std::future_status::ready;
    lock.lock();
    if (ready) return f.get();
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
  }
}

void LeaderLoop::RunLoop() {
  auto next_reconcile = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!events_.empty()) {
      const raft::LeadershipEvent e = events_.front();
      events_.pop_front();
      lock.unlock();
      HandleLeadership(e);
      next_reconcile = std::chrono::steady_clock::now();  // reconcile right after establishing
      lock.lock();
      if (established_) reconcile_requested_ = true;
      continue;
    }
    const bool due = established_ &&
                     (reconcile_requested_ || std::chrono::steady_clock::now() >= next_reconcile);
    if (due) {
      reconcile_requested_ = false;
      next_reconcile = std::chrono::steady_clock::now() + options_.reconcile_interval;
      lock.unlock();
      const auto started = std::chrono::steady_clock::now();
      const bool complete = Reconcile();
      Timed("reconcile", started);
      lock.lock();
      ++reconciles_;
      if (!complete) {
        // A change failed (e.g. a new voter did not catch up): try again soon.
        next_reconcile =
            std::min(next_reconcile, std::chrono::steady_clock::now() + options_.retry_interval);
      }
      continue;
    }
    auto pred = [this] {
      return stop_ || !events_.empty() || (established_ && reconcile_requested_);
    };
    if (established_) {
      cv_.wait_until(lock, next_reconcile, pred);
    } else {
      cv_.wait(lock, pred);
    }
  }
  lock.unlock();
  if (established_) {
    const auto started = std::chrono::steady_clock::now();
    for (LeadershipObserver* o : observers_) o->RevokeLeadership(*established_);
    Timed("revoke_leadership", started);
    Log()->info("leader: leadership of term {} revoked (stopping)", established_->value());
    established_.reset();
  }
}

void LeaderLoop::HandleLeadership(const raft::LeadershipEvent& e) {
  if (e.kind == raft::LeadershipEvent::Kind::kLost) {
    if (established_ && *established_ == e.term) {
      const auto started = std::chrono::steady_clock::now();
      for (LeadershipObserver* o : observers_) o->RevokeLeadership(e.term);
      Timed("revoke_leadership", started);
      established_.reset();
      Log()->info("leader: lost leadership of term {}; leader-only work stopped", e.term.value());
    }
    return;
  }
  Log()->info("leader: won the election for term {}; waiting for the barrier", e.term.value());
  const auto won = std::chrono::steady_clock::now();
  if (!BarrierFor(e.term)) return;
  const auto barrier_done = Timed("barrier", won);
  established_ = e.term;
  for (LeadershipObserver* o : observers_) o->EstablishLeadership(e.term);
  Timed("establish_leadership", barrier_done);
  Timed("established", won);
  Log()->info("leader: leadership of term {} established", e.term.value());
}

std::chrono::steady_clock::time_point LeaderLoop::Timed(
    std::string_view phase, std::chrono::steady_clock::time_point started) const {
  const auto now = std::chrono::steady_clock::now();
  if (options_.on_phase) options_.on_phase(phase, now - started);
  return now;
}

bool LeaderLoop::BarrierFor(Term term) {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_ || LostQueued(term)) return false;
    }
    auto f = raft_->Barrier();
    auto s = Await(f, options_.barrier_timeout);
    if (!s) {
      std::lock_guard lock(mu_);
      if (stop_) return false;
      Log()->warn("leader: barrier for term {} timed out; retrying", term.value());
      continue;
    }
    if (s->ok()) return true;
    if (s->code() == StatusCode::kNotLeader || s->code() == StatusCode::kCancelled) return false;
    Log()->warn("leader: barrier for term {} failed ({}); retrying", term.value(), s->ToString());
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, milliseconds(500), [this, term] { return stop_ || LostQueued(term); });
  }
}

bool LeaderLoop::Reconcile() {
  if (!raft_->IsLeader()) return true;
  ReconcileInput in;
  in.self = raft_->id();
  in.region = options_.region;
  in.configuration = raft_->Configuration();
  in.servers = ServerMembers(members_->Members());
  {
    std::lock_guard lock(mu_);
    // Forget reaps of servers no longer in the configuration.
    std::set<RaftId> configured;
    for (const raft::Server& s : in.configuration) configured.insert(s.id);
    for (auto it = reaped_.begin(); it != reaped_.end();) {
      it = configured.contains(it->first) ? std::next(it) : reaped_.erase(it);
    }
    for (const auto& [id, name] : reaped_) in.reaped.insert(id);
  }
  bool complete = true;
  for (const ReconcileAction& a : PlanReconcile(in)) {
    const std::string who = a.name.empty() ? std::to_string(a.id.value())
                                           : a.name + " (" + std::to_string(a.id.value()) + ")";
    std::optional<Status> s;
    if (a.kind == ReconcileAction::Kind::kAddVoter) {
      Log()->info("leader: adding server {} at {} as voter: {}", who, a.address, a.reason);
      auto f = raft_->AddVoter(a.id, a.address);
      s = Await(f, options_.change_timeout);
    } else {
      Log()->info("leader: removing server {}: {}", who, a.reason);
      auto f = raft_->RemoveServer(a.id);
      s = Await(f, options_.change_timeout);
    }
    if (!s) {
      Log()->warn("leader: change for server {} did not complete in time; will retry", who);
      return false;
    }
    if (s->ok() || s->code() == StatusCode::kNotFound) continue;
    Log()->warn("leader: change for server {} failed: {}", who, s->ToString());
    if (s->code() == StatusCode::kNotLeader) return true;
    complete = false;
  }
  return complete;
}

}  // namespace ckron::node
