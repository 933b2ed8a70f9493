// A small key-value StateMachine for raft/ tests, the test driver and the
// benchmark. Commands are text:
//   "put <key> <value>"  -> result: the previous value ("" if none)
//   "del <key>"          -> result: "1" if it existed, else "0"
//   "noop"               -> result: ""
// (keys and values contain no spaces). It also checks the StateMachine
// contract: every command's (index, position) must be greater than the
// previous one -- log order, exactly once -- and counts violations.
//
// Thread safety: safe for concurrent use. Apply/Restore/PrepareSnapshot come
// from the raft loop thread; Get/Size/... may be called from any thread.
#ifndef CKRON_RAFT_TESTING_KV_STATE_MACHINE_H_
#define CKRON_RAFT_TESTING_KV_STATE_MACHINE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "raft/state_machine.h"

namespace ckron::raft::testing {

class KvStateMachine final : public StateMachine {
 public:
  // Snapshot chunks carry at most this many key/value pairs each.
  explicit KvStateMachine(std::size_t pairs_per_chunk = 256) : pairs_per_chunk_(pairs_per_chunk) {}

  ApplyOutput Apply(const ApplyContext& context, std::string_view command) override;
  Result<std::unique_ptr<SnapshotSource>> PrepareSnapshot(LogIndex last_applied) override;
  Status Restore(LogIndex last_included, SnapshotReader& reader) override;

  std::optional<std::string> Get(const std::string& key) const;
  std::map<std::string, std::string> Contents() const;
  std::size_t Size() const;
  std::uint64_t applied() const;           // commands applied since start
  std::uint64_t order_violations() const;  // must stay 0
  LogIndex last_index() const;             // index of the last applied command
  std::uint64_t restores() const;

 private:
  const std::size_t pairs_per_chunk_;
  mutable std::mutex mu_;
  // mu_ guards everything below.
  std::map<std::string, std::string> kv_;
  std::pair<std::uint64_t, std::uint32_t> last_{0, 0};  // (index, position)
  bool any_ = false;
  std::uint64_t applied_ = 0;
  std::uint64_t violations_ = 0;
  std::uint64_t restores_ = 0;
};

}  // namespace ckron::raft::testing

#endif  // CKRON_RAFT_TESTING_KV_STATE_MACHINE_H_
