// Closed-loop Put load against etcd's native gRPC API (etcdserverpb.KV/Put),
// the way etcd's own clients talk to it: one channel (HTTP/2 connection), N
// calls in flight, driven by one completion-queue thread. Used beside the
// HTTP/JSON-gateway figures so that the gateway's cost is not charged to etcd.
//
// Thread safety: RunEtcdGrpcLoad runs on the calling thread.
#ifndef CKRON_BENCH_RAFT_GRPC_LOAD_H_
#define CKRON_BENCH_RAFT_GRPC_LOAD_H_

#include <chrono>
#include <cstdint>

#include "bench/raft/load.h"
#include "common/status.h"

namespace ckron::bench {

Result<LoadResult> RunEtcdGrpcLoad(std::uint16_t port, int in_flight, std::size_t value_bytes,
                                   std::chrono::milliseconds warmup,
                                   std::chrono::milliseconds measure);

}  // namespace ckron::bench

#endif  // CKRON_BENCH_RAFT_GRPC_LOAD_H_
