// Strong types for identifiers and indices (style.md §17): a Term cannot be
// passed where a LogIndex is expected, nor a JobName where a NodeName is.
//
// Thread safety: plain values.
#ifndef CKRON_COMMON_IDS_H_
#define CKRON_COMMON_IDS_H_

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace ckron {

template <typename Tag, typename Rep>
class StrongId {
 public:
  using rep_type = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : v_(std::move(v)) {}
  constexpr const Rep& value() const { return v_; }
  friend constexpr auto operator<=>(const StrongId&, const StrongId&) = default;

 private:
  Rep v_{};
};

using Term = StrongId<struct TermTag, std::uint64_t>;
using LogIndex = StrongId<struct LogIndexTag, std::uint64_t>;
// Raft server id (libraft's raft_id, derived from the node name).
using RaftId = StrongId<struct RaftIdTag, std::uint64_t>;
// Node name: unique in the cluster, also the gossip member name.
using NodeName = StrongId<struct NodeNameTag, std::string>;
// Job name: the primary key of a job (Dkron's `name`).
using JobName = StrongId<struct JobNameTag, std::string>;
// Execution id, unique per (job, group, node, attempt).
using ExecutionId = StrongId<struct ExecutionIdTag, std::string>;

}  // namespace ckron

template <typename Tag, typename Rep>
struct std::hash<ckron::StrongId<Tag, Rep>> {
  std::size_t operator()(const ckron::StrongId<Tag, Rep>& id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};

#endif  // CKRON_COMMON_IDS_H_
