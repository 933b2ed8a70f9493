#include "raft/io_guard.h"

#include <string>
#include <utility>

#include "common/check.h"

namespace ckron::raft::internal {

struct IoGuard::AppendShim {
  struct raft_io_append inner;   // what the real io sees
  struct raft_io_append* outer;  // libraft's request
  raft_io_append_cb cb;
  IoGuard* guard;
};

struct IoGuard::SnapshotPutShim {
  struct raft_io_snapshot_put inner;
  struct raft_io_snapshot_put* outer;
  raft_io_snapshot_put_cb cb;
  IoGuard* guard;
};

void IoGuard::Install(::raft* r, OnError on_error) {
  CKRON_CHECK(r->io != nullptr && r->io->data == r);
  CKRON_CHECK(append_ == nullptr);
  on_error_ = std::move(on_error);
  r->data = this;
  struct raft_io* io = r->io;
  append_ = io->append;
  truncate_ = io->truncate;
  set_term_ = io->set_term;
  set_vote_ = io->set_vote;
  snapshot_put_ = io->snapshot_put;
  io->append = &IoGuard::Append;
  io->truncate = &IoGuard::Truncate;
  io->set_term = &IoGuard::SetTerm;
  io->set_vote = &IoGuard::SetVote;
  io->snapshot_put = &IoGuard::SnapshotPut;
}

IoGuard* IoGuard::From(struct raft_io* io) {
  auto* r = static_cast<::raft*>(io->data);
  return static_cast<IoGuard*>(r->data);
}

void IoGuard::Report(int rv, const char* what, struct raft_io* io) {
  if (rv == 0 || (closing_ && rv == RAFT_CANCELED)) return;
  ++failures_;
  std::string msg = std::string("raft storage: ") + what + " failed: " + raft_strerror(rv);
  if (io != nullptr && io->errmsg[0] != '\0') msg += std::string(" (") + io->errmsg + ")";
  if (on_error_) on_error_(Status::Unavailable(std::move(msg)));
}

int IoGuard::Append(struct raft_io* io, struct raft_io_append* req,
                    const struct raft_entry entries[], unsigned n, raft_io_append_cb cb) {
  IoGuard* g = From(io);
  auto* shim = new AppendShim{{}, req, cb, g};
  shim->inner.data = shim;
  req->cb = cb;
  const int rv = g->append_(io, &shim->inner, entries, n, &IoGuard::AppendDone);
  if (rv != 0) {
    delete shim;
    g->Report(rv, "log append", io);
  }
  return rv;
}

void IoGuard::AppendDone(struct raft_io_append* req, int status) {
  auto* shim = static_cast<AppendShim*>(req->data);
  struct raft_io_append* outer = shim->outer;
  raft_io_append_cb cb = shim->cb;
  IoGuard* g = shim->guard;
  delete shim;
  // Report before libraft sees the failure, so that (with the default
  // handler) nothing runs after it.
  g->Report(status, "log append", nullptr);
  cb(outer, status);
}

int IoGuard::Truncate(struct raft_io* io, raft_index index) {
  IoGuard* g = From(io);
  const int rv = g->truncate_(io, index);
  g->Report(rv, "log truncate", io);
  return rv;
}

int IoGuard::SetTerm(struct raft_io* io, raft_term term) {
  IoGuard* g = From(io);
  const int rv = g->set_term_(io, term);
  g->Report(rv, "metadata write (term)", io);
  return rv;
}

int IoGuard::SetVote(struct raft_io* io, raft_id server_id) {
  IoGuard* g = From(io);
  const int rv = g->set_vote_(io, server_id);
  g->Report(rv, "metadata write (vote)", io);
  return rv;
}

int IoGuard::SnapshotPut(struct raft_io* io, unsigned trailing, struct raft_io_snapshot_put* req,
                         const struct raft_snapshot* snapshot, raft_io_snapshot_put_cb cb) {
  IoGuard* g = From(io);
  auto* shim = new SnapshotPutShim{{}, req, cb, g};
  shim->inner.data = shim;
  req->cb = cb;
  const int rv = g->snapshot_put_(io, trailing, &shim->inner, snapshot, &IoGuard::SnapshotPutDone);
  if (rv != 0) {
    delete shim;
    g->Report(rv, "snapshot write", io);
  }
  return rv;
}

void IoGuard::SnapshotPutDone(struct raft_io_snapshot_put* req, int status) {
  auto* shim = static_cast<SnapshotPutShim*>(req->data);
  struct raft_io_snapshot_put* outer = shim->outer;
  raft_io_snapshot_put_cb cb = shim->cb;
  IoGuard* g = shim->guard;
  delete shim;
  g->Report(status, "snapshot write", nullptr);
  cb(outer, status);
}

}  // namespace ckron::raft::internal
