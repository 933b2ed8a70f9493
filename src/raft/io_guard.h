// Fail-stop for durable storage. libraft 0.15 does not stop on a failed disk
// write: a leader whose log append fails truncates the entry, fails the client
// request and carries on leading; a failed snapshot write is only traced
// (replication.c appendLeaderCb / takeSnapshotCb). IoGuard interposes on the
// persistence methods of a raft_io (append, truncate, set_term, set_vote,
// snapshot_put) and reports every failure, so the node can stop instead of
// continuing as if the write had happened (style.md §15).
//
// RAFT_CANCELED while closing is the normal shutdown of queued writes and is
// not reported.
//
// Thread safety: not thread-safe; lives on the raft loop thread. Install
// before raft_start and keep the guard alive until the raft instance is
// closed.
#ifndef CKRON_RAFT_IO_GUARD_H_
#define CKRON_RAFT_IO_GUARD_H_

#include <functional>

#include "common/status.h"
#include "raft/c_api.h"

namespace ckron::raft::internal {

class IoGuard {
 public:
  using OnError = std::function<void(const Status&)>;

  IoGuard() = default;
  IoGuard(const IoGuard&) = delete;
  IoGuard& operator=(const IoGuard&) = delete;

  // Wraps r->io's persistence methods. Uses r->data (libraft user data) to
  // find the guard again, so nothing else may use r->data.
  // REQUIRES: raft_init(r, ...) succeeded; not yet installed on r.
  void Install(::raft* r, OnError on_error);

  // Shutdown has begun: RAFT_CANCELED results are expected from now on.
  void set_closing(bool closing) { closing_ = closing; }

  // Failures reported so far.
  int failures() const { return failures_; }

 private:
  struct AppendShim;
  struct SnapshotPutShim;

  static IoGuard* From(struct raft_io* io);
  // io may be null (asynchronous failures carry no io error message).
  void Report(int rv, const char* what, struct raft_io* io);

  static int Append(struct raft_io* io, struct raft_io_append* req,
                    const struct raft_entry entries[], unsigned n, raft_io_append_cb cb);
  static void AppendDone(struct raft_io_append* req, int status);
  static int Truncate(struct raft_io* io, raft_index index);
  static int SetTerm(struct raft_io* io, raft_term term);
  static int SetVote(struct raft_io* io, raft_id server_id);
  static int SnapshotPut(struct raft_io* io, unsigned trailing, struct raft_io_snapshot_put* req,
                         const struct raft_snapshot* snapshot, raft_io_snapshot_put_cb cb);
  static void SnapshotPutDone(struct raft_io_snapshot_put* req, int status);

  OnError on_error_;
  bool closing_ = false;
  int failures_ = 0;
  decltype(raft_io::append) append_ = nullptr;
  decltype(raft_io::truncate) truncate_ = nullptr;
  decltype(raft_io::set_term) set_term_ = nullptr;
  decltype(raft_io::set_vote) set_vote_ = nullptr;
  decltype(raft_io::snapshot_put) snapshot_put_ = nullptr;
};

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_IO_GUARD_H_
