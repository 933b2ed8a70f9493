// Incremental Cluster.LiveOutput (proto/ckron/v1/cluster.proto): a follower
// that polls a running execution's live output asks only for the bytes
// after what it holds, instead of the leader's whole buffer (up to 64 KiB)
// every poll.
//
// The leader's buffer keeps an execution's last chunks and drops the oldest
// whole; it does not count what it dropped. LiveOutputPositions numbers its
// bytes anyway, by comparing each buffer it serves with the one it served
// before: a buffer that begins with the previous one only grew; otherwise
// the longest end of the previous one that begins the new one is taken as
// kept and the rest as dropped (as the API's output streams match output,
// api/output_follower.h). Exact while the buffer drops nothing, which is
// the case for outputs under the bound. Each numbering has a generation;
// the follower's positions are only used with the generation they came in.
//
// Thread safety: both classes are safe for concurrent use.
#ifndef CKRON_RPC_LIVE_OUTPUT_OFFSETS_H_
#define CKRON_RPC_LIVE_OUTPUT_OFFSETS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "absl/time/time.h"

namespace ckron::rpc {

// How long either side remembers an execution nobody asked about.
inline constexpr absl::Duration kLiveOutputForgetAfter = absl::Seconds(30);

// The leader's side.
class LiveOutputPositions {
 public:
  struct Answer {
    std::string output;  // the bytes to send
    std::uint64_t end = 0;
    std::uint64_t generation = 0;
  };
  // `buffer` is the execution's live buffer now; `offset` and `generation`
  // what the caller sent. Sends the bytes after `offset` when the
  // generation matches and they are still buffered, else all of `buffer`.
  Answer Serve(const std::string& job, const std::string& id, std::string buffer,
               std::uint64_t offset, std::uint64_t generation, absl::Time now);
  // The execution stopped streaming here.
  void Forget(const std::string& job, const std::string& id);

  std::size_t tracked() const;

 private:
  struct Track {
    std::string last;        // the buffer served last
    std::uint64_t base = 0;  // the position of last[0]
    std::uint64_t generation = 0;
    absl::Time used;
  };
  void ForgetIdle(absl::Time now);  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Track> tracks_;  // guarded by mu_
  std::uint64_t next_generation_ = 0;  // guarded by mu_; 0: not yet seeded
  absl::Time last_sweep_;              // guarded by mu_
};

// The follower's side: keeps a copy of the leader's buffer per execution.
class LiveOutputCopy {
 public:
  struct Ask {
    std::uint64_t offset = 0;
    std::uint64_t generation = 0;
  };
  // What to ask the leader for this execution.
  Ask Next(const std::string& job, const std::string& id) const;
  // Applies the leader's answer and returns the copy of its buffer (at most
  // `max_bytes`, the newest).
  std::string Update(const std::string& job, const std::string& id, std::string output,
                     std::uint64_t end, std::uint64_t generation, absl::Time now,
                     std::size_t max_bytes = 64 * 1024);
  void Forget(const std::string& job, const std::string& id);

 private:
  struct Copy {
    std::string text;
    std::uint64_t end = 0;
    std::uint64_t generation = 0;
    absl::Time used;
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Copy> copies_;  // guarded by mu_
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_LIVE_OUTPUT_OFFSETS_H_
