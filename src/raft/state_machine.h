// The interface the replicated state machine (fsm/) implements for raft/.
//
// Threads (see docs/raft.md "Threads"):
//   * Apply, PrepareSnapshot and Restore run on the raft loop thread, one at a
//     time, never concurrently with each other.
//   * SnapshotSource::WriteTo runs on a libuv worker thread, concurrently
//     with later Apply calls on the loop thread. What it reads must therefore
//     be the state captured by PrepareSnapshot, not the live state.
// Because the loop thread also drives elections and heartbeats, Apply and
// PrepareSnapshot must be quick and must never block (no I/O, no locks held
// by other threads for long, never wait on a raft::Node future).
//
// Ordering and delivery: Apply sees committed commands in log order, each
// exactly once per process lifetime. After a restart the state machine starts
// empty, Restore is called with the newest snapshot (if any), then the commands
// after it are applied again -- so state must be a deterministic function of
// (snapshot, commands) and Apply must not have external side effects it cannot
// repeat. A running node can also be handed a snapshot from the leader (when
// it lagged behind the leader's log): Restore then replaces the whole state and
// Apply continues after the snapshot's index.
#ifndef CKRON_RAFT_STATE_MACHINE_H_
#define CKRON_RAFT_STATE_MACHINE_H_

#include <any>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/status.h"

namespace ckron::raft {

// Where a command sits in the log. (index, position) is unique per command and
// identical on every server, so it can seed deterministic ids.
struct ApplyContext {
  LogIndex index;          // the log entry carrying the command
  Term term;               // the term of the leader that proposed it; use it to
                           // fence work by term (a deposed leader's commands
                           // carry its old term)
  std::uint32_t position;  // 0-based position of the command in the entry
  std::uint32_t count;     // number of commands in the entry
  // Whether a proposer on this server waits for the result. When false
  // (a follower; an entry of an earlier term) Apply's return value is
  // dropped, so it need not build one.
  bool result_wanted = true;
};

// Receives a snapshot as a sequence of chunks. Not thread-safe; used only by
// the thread running SnapshotSource::WriteTo.
class SnapshotSink {
 public:
  virtual ~SnapshotSink() = default;
  // Appends one chunk (any size > 0, < 4 GiB). Restore sees the same chunks,
  // in the same order, with the same boundaries. Returns kResourceExhausted
  // if memory ran out; the snapshot is then abandoned and retried later.
  virtual Status Write(std::string_view chunk) = 0;
};

// A consistent view of the state as of one log index, captured on the loop
// thread by PrepareSnapshot and serialised later on a worker thread.
class SnapshotSource {
 public:
  virtual ~SnapshotSource() = default;
  // Writes the captured state as chunks. Runs on a libuv worker thread, while
  // Apply keeps running on the loop thread. A non-OK return abandons this
  // snapshot (libraft retries after more entries).
  virtual Status WriteTo(SnapshotSink& sink) = 0;
};

// Yields the chunks of a snapshot in the order they were written. Not
// thread-safe; valid only during the Restore call it was passed to.
class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  // Sets *chunk to the next chunk and returns true, or returns false at the
  // end. The view is valid until the next call. The framing has been
  // checksummed before Restore is called, so there are no read errors.
  virtual bool Next(std::string_view* chunk) = 0;
};

// What Apply returns for a proposer on this server (raft::Applied).
struct ApplyOutput {
  // The result as bytes.
  std::string bytes;
  // Or an in-memory result of the state machine's own type. It never
  // leaves the process, so a local proposer reads it without an encode and
  // a decode; whoever forwards a result to another server encodes it.
  std::any object;
};

class StateMachine {
 public:
  virtual ~StateMachine() = default;

  // Applies one committed command and returns its result, which is handed
  // unchanged to the proposer's future (on the leader that proposed it) and
  // dropped elsewhere (it may then be left empty: see
  // ApplyContext::result_wanted). The change to the state must be
  // deterministic. It may publish events about the
  // change (e.g. to the scheduler) by handing them to a bounded queue; it must
  // not block on the consumer. A command the state machine
  // rejects (e.g. "job not found") is still a committed, applied command:
  // encode the verdict in the result. There is no error return: a command that
  // cannot be decoded means corruption or a version mismatch, and Apply should
  // CKRON_CHECK-fail rather than let replicas diverge.
  virtual ApplyOutput Apply(const ApplyContext& context, std::string_view command) = 0;

  // Captures the state as of the last applied command, cheaply (e.g. by
  // sharing immutable structures), for WriteTo on a worker thread. Called on
  // the loop thread when libraft decides to snapshot. A non-OK status skips
  // this snapshot; libraft tries again later.
  virtual Result<std::unique_ptr<SnapshotSource>> PrepareSnapshot(LogIndex last_applied) = 0;

  // Replaces the whole state with the snapshot's. Called on the loop thread
  // at start (newest local snapshot) and when the leader installs a snapshot.
  // On error the state must be left as it was; a failed restore at start
  // makes Node::Start fail, one from the leader is retried by the leader.
  virtual Status Restore(LogIndex last_included, SnapshotReader& reader) = 0;
};

}  // namespace ckron::raft

#endif  // CKRON_RAFT_STATE_MACHINE_H_
