// The raft loop thread's core: everything between the inbound queue and one
// libraft instance, independent of how the instance does I/O. Node drives it
// on a libuv loop with libraft's disk/TCP I/O; engine tests drive it on
// libraft's deterministic raft_fixture with the same code.
//
// Per loop iteration the driver calls Tick(), which
//   1. runs queued control tasks (barrier, membership, transfer),
//   2. pumps queued proposals into log entries (group commit, below),
//   3. observes libraft's state: publishes leadership changes and refreshes
//      the status board that other threads read.
// libraft callbacks (apply results, barrier/change/transfer completion) arrive
// in between and complete their futures.
//
// Group commit. Proposals are packed, in queue order, into one RAFT_COMMAND
// entry each batch (batch_codec.h) of at most max_batch_commands commands and
// max_batch_bytes bytes. At most max_inflight_batches entries are appended
// but not yet applied; while that many are in flight, proposals accumulate
// and the next entry carries all of them. Every proposal's future completes
// exactly once:
//   OK(result)        its entry was applied here (the state machine's result)
//   kNotLeader(hint)  this server was not leader when it was pumped
//   kOutcomeUnknown   its entry was appended, then leadership was lost, the
//                     node stopped, or the disk write failed
//   kCancelled        the node stopped before it was pumped
//   kUnavailable      the node hit a fatal storage error before it was pumped
//
// Thread safety: not thread-safe, owned by the loop thread, except Info(),
// Configuration(), IsLeader() and leader(), which are safe from any thread.
#ifndef CKRON_RAFT_ENGINE_H_
#define CKRON_RAFT_ENGINE_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "raft/batch_codec.h"
#include "raft/c_api.h"
#include "raft/fsm_adapter.h"
#include "raft/inbound_queue.h"
#include "raft/io_guard.h"
#include "raft/leadership.h"
#include "raft/options.h"
#include "raft/state_machine.h"
#include "raft/types.h"

namespace ckron::raft::internal {

class Engine final : public ResultRouter {
 public:
  // All pointers must outlive the engine. `options` supplies the batching and
  // snapshot knobs.
  Engine(const Options& options, StateMachine* state_machine, InboundQueue* queue,
         ListenerRegistry* listeners);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The raft_fsm to give raft_init.
  struct raft_fsm* fsm() {
    return adapter_.fsm();
  }

  // Binds the engine to an initialised (raft_init), not yet started instance:
  // installs the storage guard (which uses r->data). `on_fatal` runs once, on
  // the first storage failure, after the engine stopped taking work.
  void Attach(::raft* r, std::function<void(const Status&)> on_fatal);
  // Unbinds after the instance was closed (raft_close's callback fired) or
  // failed to start. REQUIRES: no libraft request outstanding.
  void Detach();
  bool attached() const { return raft_ != nullptr; }

  // One loop iteration's work (see the file comment).
  void Tick();

  // Control operations, run on the loop thread (from a queued task). Each
  // completes its promise exactly once.
  void Barrier(std::promise<Status> done);
  void AddVoter(RaftId id, std::string address, std::promise<Status> done);
  void RemoveServer(RaftId id, std::promise<Status> done);
  void TransferLeadership(std::optional<RaftId> target, std::promise<Status> done);

  // Shutdown, step 1 (before raft_close): stop pumping; proposals and tasks
  // still queued complete with kCancelled. Tasks posted later are run and
  // fail with kCancelled.
  void BeginShutdown();
  // Shutdown, step 2 (in raft_close's callback): libraft has failed every
  // request it held; publish the final leadership loss. CHECKs that nothing
  // is left outstanding.
  void FinishShutdown();
  bool shutting_down() const { return shutting_down_; }

  // The first fatal storage error, or OK.
  const Status& fatal() const { return fatal_; }

  // Thread-safe views (as of the last Tick).
  NodeInfo Info() const;
  std::vector<Server> Configuration() const;
  bool IsLeader() const { return is_leader_.load(std::memory_order_acquire); }
  std::optional<LeaderInfo> leader() const;

  // Registers a listener from the loop thread: if this server leads, the
  // listener is told kGained for the current term right away.
  void AddListenerOnLoop(std::uint64_t handle);

  // For tests and metrics (loop thread).
  std::size_t inflight_batches() const { return inflight_.size(); }
  std::size_t staged_proposals() const { return staged_.size(); }
  std::uint64_t entries_proposed() const { return entries_proposed_; }
  std::uint64_t commands_proposed() const { return commands_proposed_; }
  const FsmAdapter& adapter() const { return adapter_; }

  // Publishes libraft's state (term, leader, indexes, configuration) to the
  // board the accessors read. Tick() does this every loop iteration; Node
  // calls it once right after raft_start so that Start() returns with the
  // configuration loaded from disk already visible.
  void Refresh() { Observe(); }

  // ResultRouter (called by the adapter during apply).
  std::vector<ApplyOutput>* SlotsFor(LogIndex index, Term term, std::size_t count) override;

 private:
  struct Batch;
  struct BarrierOp;
  struct ChangeOp;
  struct TransferOp;

  void RunTasks();
  void Pump();
  void Observe();
  void FailStaged(const Status& status);
  // OK if a leader-only request can be submitted now, else why not.
  Status LeaderPrecheck() const;
  // Appends a barrier; `then` runs once with its outcome (loop thread).
  void BarrierThen(std::function<void(Status)> then);
  bool ConfigurationPendingCommit() const;
  // Runs `next` (from a later loop iteration) once a barrier committed the
  // latest configuration; fails `done` if the barrier fails.
  void AfterConfigurationCommitted(std::promise<Status> done,
                                   std::function<void(std::promise<Status>)> next);
  Status NotLeaderStatus() const;
  void OnStorageFailure(const Status& status);
  Status MapRaftError(int rv, std::string_view what) const;

  static void ApplyDone(struct raft_apply* req, int status, void* result);
  static void BarrierDone(struct raft_barrier* req, int status);
  static void AddDone(struct raft_change* req, int status);
  static void AssignDone(struct raft_change* req, int status);
  static void RemoveDone(struct raft_change* req, int status);
  static void TransferDone(struct raft_transfer* req);
  Status ChangeStatus(int status, std::string_view what) const;

  const Options options_;
  InboundQueue* const queue_;
  ListenerRegistry* const listeners_;
  FsmAdapter adapter_;
  std::unique_ptr<IoGuard> guard_;
  ::raft* raft_ = nullptr;
  std::function<void(const Status&)> on_fatal_;
  Status fatal_;
  bool shutting_down_ = false;

  std::deque<Proposal> staged_;  // taken from the queue, not yet in an entry
  std::deque<std::function<void()>> tasks_;
  // Entries appended by this server and not yet applied, by log index.
  // Invariant: every Batch here has an outstanding raft_apply request.
  std::map<std::uint64_t, Batch*> inflight_;
  // Outstanding libraft requests other than batches (barrier, change,
  // transfer). Invariant: 0 after FinishShutdown.
  int outstanding_ops_ = 0;
  BatchEncoder encoder_;
  LeadershipTracker tracker_;
  std::vector<LeadershipEvent> events_;  // reused by Observe

  std::uint64_t entries_proposed_ = 0;
  std::uint64_t commands_proposed_ = 0;

  // The status board: written by Observe on the loop thread, read anywhere.
  std::atomic<bool> is_leader_{false};
  mutable std::mutex board_mu_;
  // board_mu_ guards the two fields below.
  NodeInfo info_;
  std::vector<Server> configuration_;
};

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_ENGINE_H_
