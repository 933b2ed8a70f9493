// The replicated state as the node sees it: the state machine (fsm/) driven
// by Raft's committed log (raft/state_machine.h), with its execution records
// on disk (storage/), readable from any thread, and an event stream for the
// scheduler, dispatcher and live streams.
//
// Threads: Apply, PrepareSnapshot and Restore run on the raft loop thread
// (raft/state_machine.h). Read() may be called from any thread; it holds a
// shared lock for the duration of the callback, so callbacks must be short
// (copy what they need; jobs can be kept as shared pointers).
#ifndef CKRON_REPLICA_REPLICATED_STATE_H_
#define CKRON_REPLICA_REPLICATED_STATE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "absl/time/time.h"
#include "fsm/codec.h"
#include "fsm/state.h"
#include "raft/state_machine.h"
#include "raft/types.h"

namespace ckron::replica {

// Receives what each applied entry changed: OnEvents once per log entry,
// with the events of all its commands in order. Called on the raft loop
// thread, in log order, after the state is updated and the lock released: it must
// not block (hand the events to a bounded queue) and must not call back into
// Raft.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void OnEvents(LogIndex index, const std::vector<fsm::Event>& events) = 0;
  // The whole state was replaced by a snapshot: rebuild from Read().
  virtual void OnRestored(LogIndex index) = 0;
  // Every applied command, events or not, with the time its proposer
  // stamped into it (EncodeCommand's `now`): for commit-latency metrics.
  virtual void OnApplied(const raft::ApplyContext& /*context*/, absl::Time /*proposed*/) {}
};

class ReplicatedState final : public raft::StateMachine {
 public:
  // `store` must outlive this object and be empty (Open gives an empty one).
  explicit ReplicatedState(fsm::ExecutionStore* store);

  // Sinks are added before Raft starts and live as long as this object.
  void AddSink(EventSink* sink);

  // Runs `read` with the current state under a shared lock.
  template <typename F>
  auto Read(F&& read) const {
    std::shared_lock lock(mu_);
    return read(static_cast<const fsm::State&>(state_));
  }

  // The index of the last applied entry (0 before any).
  LogIndex applied() const;

  // raft::StateMachine
  // The outcome is handed over in memory (ApplyOutput::object, an
  // fsm::Outcome), never encoded here: read it with OutcomeOf.
  raft::ApplyOutput Apply(const raft::ApplyContext& context, std::string_view command) override;
  Result<std::unique_ptr<raft::SnapshotSource>> PrepareSnapshot(LogIndex last_applied) override;
  Status Restore(LogIndex last_included, raft::SnapshotReader& reader) override;

 private:
  mutable std::shared_mutex mu_;
  fsm::State state_;  // guarded by mu_ (written only on the raft loop thread)
  LogIndex applied_;  // guarded by mu_
  std::vector<EventSink*> sinks_;
  // The events of the entry being applied, not yet given to the sinks
  // (raft loop thread only).
  std::vector<fsm::Event> entry_events_;
};

// Builds a log command for Node::Propose.
std::string EncodeCommand(absl::Time now, fsm::Command command);

// The outcome of an applied command from what its proposer got: the
// fsm::Outcome ReplicatedState hands a proposer in this process, or the
// bytes a leader on another server sent back (raft::Applied::result).
fsm::Outcome OutcomeOf(const raft::Applied& applied);
fsm::Outcome OutcomeOf(const raft::ApplyOutput& output);
// The same as bytes, for a proposer on another server (Cluster.Propose).
std::string EncodedOutcomeOf(raft::Applied&& applied);

}  // namespace ckron::replica

#endif  // CKRON_REPLICA_REPLICATED_STATE_H_
