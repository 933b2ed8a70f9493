// Adapts a StateMachine to libraft's `struct raft_fsm` (version 3):
//   apply             decode a batch entry, Apply each command in order, and
//                     hand the results to the proposer (ResultRouter)
//   snapshot          loop thread: StateMachine::PrepareSnapshot
//   snapshot_async    libuv worker: SnapshotSource::WriteTo -> SnapshotEncoder
//                     -> several raft_buffers of snapshot_buffer_bytes each
//   snapshot_finalize loop thread, after libraft wrote the file: free buffers
//   restore           validate the framing, then StateMachine::Restore
//                     from the chunks; free libraft's buffer
//
// Thread safety: not thread-safe. Every callback but snapshot_async runs on
// the raft loop thread; snapshot_async touches only the source captured by
// `snapshot`, never the live state.
#ifndef CKRON_RAFT_FSM_ADAPTER_H_
#define CKRON_RAFT_FSM_ADAPTER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/ids.h"
#include "raft/batch_codec.h"
#include "raft/c_api.h"
#include "raft/state_machine.h"

namespace ckron::raft::internal {

// Finds where the results of the entry being applied go.
class ResultRouter {
 public:
  virtual ~ResultRouter() = default;
  // The result slots of the local proposal batch at `index`, resized to
  // `count`, or null if the entry was not proposed by this server in its
  // current leadership (followers; entries of earlier leaders).
  virtual std::vector<ApplyOutput>* SlotsFor(LogIndex index, Term term, std::size_t count) = 0;
};

class FsmAdapter {
 public:
  // `state_machine` and `router` must outlive the adapter.
  FsmAdapter(StateMachine* state_machine, ResultRouter* router, std::size_t snapshot_buffer_bytes);
  FsmAdapter(const FsmAdapter&) = delete;
  FsmAdapter& operator=(const FsmAdapter&) = delete;

  // Pass to raft_init. Stable for the adapter's lifetime.
  struct raft_fsm* fsm() {
    return &fsm_;
  }

  // The raft instance whose entries are applied (for the log index of the
  // entry being applied). Set after raft_init, before raft_start.
  void set_raft(::raft* r) { raft_ = r; }

  // Commands applied since construction (all entries, local or not).
  std::uint64_t applied_commands() const { return applied_commands_; }
  std::uint64_t snapshots_taken() const { return snapshots_taken_; }
  std::uint64_t snapshots_restored() const { return snapshots_restored_; }

 private:
  static FsmAdapter* Self(struct raft_fsm* fsm) { return static_cast<FsmAdapter*>(fsm->data); }
  static int Apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result);
  static int Snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs);
  static int SnapshotAsync(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs);
  static int SnapshotFinalize(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs);
  static int Restore(struct raft_fsm* fsm, struct raft_buffer* buf);

  StateMachine* const sm_;
  ResultRouter* const router_;
  const std::size_t snapshot_buffer_bytes_;
  struct raft_fsm fsm_ {};
  ::raft* raft_ = nullptr;
  DecodedBatch decoded_;  // reused across entries

  // The snapshot being taken. Set by Snapshot (loop), consumed by
  // SnapshotAsync (worker), cleared by SnapshotFinalize (loop); libraft runs
  // at most one snapshot at a time and orders these calls.
  std::unique_ptr<SnapshotSource> source_;
  LogIndex snapshot_index_;
  Term snapshot_term_;

  std::uint64_t applied_commands_ = 0;
  std::uint64_t snapshots_taken_ = 0;
  std::uint64_t snapshots_restored_ = 0;
};

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_FSM_ADAPTER_H_
