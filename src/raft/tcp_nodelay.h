// libraft 0.15's TCP transport (raft_uv_tcp) never disables Nagle's
// algorithm. Raft's traffic is small messages in both directions
// (AppendEntries, their results, heartbeats), so a message sent while an
// earlier one is unacknowledged waits for the peer's delayed ACK: ~40 ms
// stalls, visible as a 40-50 ms p99 write latency under load. The transport
// is pluggable, so we interpose on its listen and connect methods and set
// TCP_NODELAY on every stream before libraft sees it.
//
// Thread safety: call on the raft loop thread, after raft_uv_tcp_init and
// before raft_uv_init; the wrappers then run on that loop.
#ifndef CKRON_RAFT_TCP_NODELAY_H_
#define CKRON_RAFT_TCP_NODELAY_H_

#include "raft/c_api.h"

namespace ckron::raft::internal {

// Wraps t->listen and t->connect. Idempotent per transport.
void DisableNagle(struct raft_uv_transport* t);

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_TCP_NODELAY_H_
