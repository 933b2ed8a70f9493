#include "raft/fsm_adapter.h"

#include <system_error>
#include <thread>
#include <utility>

#include "common/check.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/thread_priority.h"
#include "raft/snapshot_codec.h"

namespace ckron::raft::internal {

FsmAdapter::FsmAdapter(StateMachine* state_machine, ResultRouter* router,
                       std::size_t snapshot_buffer_bytes)
    : sm_(state_machine), router_(router), snapshot_buffer_bytes_(snapshot_buffer_bytes) {
  CKRON_CHECK(snapshot_buffer_bytes_ >= kSnapshotHeaderBytes);
  fsm_.version = 3;
  fsm_.data = this;
  fsm_.apply = &FsmAdapter::Apply;
  fsm_.snapshot = &FsmAdapter::Snapshot;
  fsm_.restore = &FsmAdapter::Restore;
  fsm_.snapshot_finalize = &FsmAdapter::SnapshotFinalize;
  fsm_.snapshot_async = &FsmAdapter::SnapshotAsync;
}

int FsmAdapter::Apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result) {
  FsmAdapter* self = Self(fsm);
  *result = nullptr;
  CKRON_CHECK(self->raft_ != nullptr);
  // replication.c applies entries strictly in order and sets last_applied
  // only after apply returns, so this entry's index is last_applied + 1.
  const LogIndex index(raft_last_applied(self->raft_) + 1);
  const Status st =
      DecodeBatch(std::string_view(static_cast<const char*>(buf->base), buf->len), &self->decoded_);
  // A committed entry we cannot read would make this replica diverge: stop.
  CKRON_CHECK_MSG(st.ok(), "raft entry " + std::to_string(index.value()) + ": " + st.ToString());

  const auto count = self->decoded_.commands.size();
  std::vector<ApplyOutput>* slots = self->router_->SlotsFor(index, self->decoded_.term, count);
  for (std::size_t i = 0; i < count; ++i) {
    const ApplyContext ctx{index, self->decoded_.term, static_cast<std::uint32_t>(i),
                           static_cast<std::uint32_t>(count), slots != nullptr};
    ApplyOutput r = self->sm_->Apply(ctx, self->decoded_.commands[i]);
    if (slots != nullptr) (*slots)[i] = std::move(r);
  }
  self->applied_commands_ += count;
  *result = slots;
  return 0;
}

int FsmAdapter::Snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs) {
  FsmAdapter* self = Self(fsm);
  *bufs = nullptr;
  *n_bufs = 0;
  CKRON_CHECK(self->source_ == nullptr);
  // takeSnapshot() filled in the pending snapshot's index and term before
  // calling us.
  self->snapshot_index_ = LogIndex(self->raft_->snapshot.pending.index);
  self->snapshot_term_ = Term(self->raft_->snapshot.pending.term);
  auto source = self->sm_->PrepareSnapshot(self->snapshot_index_);
  if (!source.ok()) {
    logging::Get("raft")->warn("snapshot at index {} skipped: {}", self->snapshot_index_.value(),
                               source.status().ToString());
    // RAFT_BUSY: libraft treats it as transient and retries later.
    return RAFT_BUSY;
  }
  self->source_ = std::move(source).value();
  return 0;
}

int FsmAdapter::SnapshotAsync(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs) {
  // libuv worker thread.
  FsmAdapter* self = Self(fsm);
  *bufs = nullptr;
  *n_bufs = 0;
  std::unique_ptr<SnapshotSource> source = std::move(self->source_);
  CKRON_CHECK(source != nullptr);
  SnapshotEncoder encoder(self->snapshot_buffer_bytes_, self->snapshot_index_, self->snapshot_term_,
                          &raft_malloc, &raft_free);
  // Serializing the whole state is the largest background job a server
  // has (a few hundred ms of CPU for a few hundred thousand jobs). It runs
  // on a thread of its own at the lowest priority, so the raft loop, the
  // API and dispatch keep the cores (docs/architecture.md "Threads"); this
  // worker waits.
  Status st;
  const auto serialise = [&] {
    st = source->WriteTo(encoder);
    source.reset();  // release the captured state as soon as possible
    if (st.ok()) st = encoder.Finish();
  };
  std::thread background;
  try {
    background = std::thread([&] {
      SetThreadName("raft-snapshot");
      LowerThreadPriority();
      serialise();
    });
  } catch (const std::system_error&) {
    serialise();  // no thread to be had: on this worker, at its priority
  }
  if (background.joinable()) background.join();
  if (!st.ok()) {
    logging::Get("raft")->warn("snapshot at index {} failed: {}", self->snapshot_index_.value(),
                               st.ToString());
    return st.code() == StatusCode::kResourceExhausted ? RAFT_NOMEM : RAFT_IOERR;
  }
  std::vector<SnapshotBuffer> out = encoder.Release();
  auto* array =
      static_cast<struct raft_buffer*>(raft_malloc(sizeof(struct raft_buffer) * out.size()));
  if (array == nullptr) {
    for (const SnapshotBuffer& b : out) raft_free(b.base);
    return RAFT_NOMEM;
  }
  for (std::size_t i = 0; i < out.size(); ++i) array[i] = {out[i].base, out[i].len};
  *bufs = array;
  *n_bufs = static_cast<unsigned>(out.size());
  return 0;
}

int FsmAdapter::SnapshotFinalize(struct raft_fsm* fsm, struct raft_buffer* bufs[],
                                 unsigned* n_bufs) {
  FsmAdapter* self = Self(fsm);
  if (*bufs != nullptr) {
    for (unsigned i = 0; i < *n_bufs; ++i) raft_free((*bufs)[i].base);
    raft_free(*bufs);
    ++self->snapshots_taken_;
  }
  *bufs = nullptr;
  *n_bufs = 0;
  // The async step may never have run (libraft could not queue it).
  self->source_.reset();
  return 0;
}

int FsmAdapter::Restore(struct raft_fsm* fsm, struct raft_buffer* buf) {
  FsmAdapter* self = Self(fsm);
  auto decoder =
      SnapshotDecoder::Open(std::string_view(static_cast<const char*>(buf->base), buf->len));
  if (!decoder.ok()) {
    logging::Get("raft")->error("snapshot restore refused: {}", decoder.status().ToString());
    return RAFT_CORRUPT;
  }
  const Status st = self->sm_->Restore(decoder->last_index(), *decoder);
  if (!st.ok()) {
    logging::Get("raft")->error("state machine restore at index {} failed: {}",
                                decoder->last_index().value(), st.ToString());
    return RAFT_CORRUPT;
  }
  ++self->snapshots_restored_;
  // On success the buffer is ours (snapshot.c snapshotRestore).
  raft_free(buf->base);
  buf->base = nullptr;
  buf->len = 0;
  return 0;
}

}  // namespace ckron::raft::internal
