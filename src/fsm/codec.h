// Bytes of the replicated log and of snapshots (proto/ckron/v1/fsm.proto).
//
// Log entries: one serialized fsm.Entry each, with the oldest state-machine
// version able to apply it. Snapshots: a stream of varint-length-prefixed
// fsm.SnapshotRecords (header, jobs, running executions, daily stats, every
// stored execution, then a trailer with counts), cut into chunks of bounded
// size, so neither writing nor restoring holds the whole state in one buffer.
//
// Thread safety: functions are reentrant; a SnapshotReader is
// single-threaded.
#ifndef CKRON_FSM_CODEC_H_
#define CKRON_FSM_CODEC_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fsm/apply.h"
#include "fsm/commands.h"
#include "fsm/state.h"

namespace ckron::v1::fsm {
class Job;  // proto/ckron/v1/fsm.proto
}  // namespace ckron::v1::fsm

namespace ckron::fsm {

std::string EncodeEntry(const Entry& entry);
// kInvalidArgument for bytes that are not an entry; kFailedPrecondition for
// an entry that needs a newer state machine than kCommandVersion.
Result<Entry> DecodeEntry(std::string_view bytes);

// An apply's verdict for the proposer: status and, for one-job commands, the
// job. Decoding garbage yields kInternal.
struct Outcome {
  Status status;
  std::shared_ptr<const Job> job;
};
std::string EncodeOutcome(const ApplyResult& result);
std::string EncodeOutcome(const Outcome& outcome);
Outcome DecodeOutcome(std::string_view bytes);

// Executions as stored by storage/ (same message as in the log).
std::string EncodeExecution(const Execution& execution);
Result<Execution> DecodeExecution(std::string_view bytes);

// Jobs as the log and the Cluster RPCs carry them (fsm.proto Job).
std::string EncodeJob(const Job& job);
// The same into a message the caller holds (run.proto's RunRequest.job),
// without bytes in between.
void EncodeJobTo(const Job& job, ckron::v1::fsm::Job* out);
// kInvalidArgument for bytes that are not a job.
Result<Job> DecodeJob(std::string_view bytes);

// A consistent picture of the state at one log index, cheap to take on the
// apply thread (it shares the jobs and asks the store for a read view) and
// serialized later on any thread.
struct SnapshotView {
  JobTable::Frozen jobs;
  State::RunningMap running;
  State::PendingRunMap pending_runs;
  State::PendingFireMap pending_fires;
  bool paused = false;
  std::map<absl::CivilDay, DayStats> daily_stats;
  std::unique_ptr<const ExecutionStore::View> executions;
};
SnapshotView TakeSnapshotView(const State& state);

// Serializes the view, calling `emit` with chunks of about `chunk_bytes`
// (a record larger than that is one chunk of its own).
void WriteSnapshot(const SnapshotView& view, const std::function<void(std::string chunk)>& emit,
                   std::size_t chunk_bytes = 1 << 20);

// Checks that `first_chunk` (as WriteSnapshot emitted it) starts with a
// header this build can restore: kInvalidArgument for garbage,
// kFailedPrecondition for a snapshot of a newer state machine.
Status CheckSnapshotStart(std::string_view first_chunk);

// Rebuilds a State from snapshot chunks fed in order. Usage:
//   SnapshotReader reader(&state);   // clears the state and its store
//   for (chunk : chunks) CKRON_RETURN_IF_ERROR(reader.Feed(chunk));
//   CKRON_RETURN_IF_ERROR(reader.Finish());
class SnapshotReader {
 public:
  explicit SnapshotReader(State* state);
  Status Feed(std::string_view chunk);
  // kInvalidArgument if the stream ended mid-record or before its trailer,
  // or the trailer's counts do not match what was read.
  Status Finish();

 private:
  Status Record(std::string_view bytes);

  State* state_;
  std::string pending_;  // bytes of an incomplete record
  bool header_seen_ = false;
  bool trailer_seen_ = false;
  std::uint64_t jobs_ = 0, executions_ = 0;
};

}  // namespace ckron::fsm

#endif  // CKRON_FSM_CODEC_H_
