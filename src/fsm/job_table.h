// The state machine's jobs: found by name, listed in name order, and frozen
// for a snapshot in time proportional to the number of jobs / 1024, not to
// the number of jobs — the raft loop thread takes snapshots and must not stall
// (1,000,000 jobs froze in 1.7 s with a copied std::map).
//
// Layout: jobs sit in slots of fixed-size pages; a page is shared by the live
// table and any frozen copies until the live table changes it, when that page
// alone is copied (copy-on-write). Jobs themselves are immutable values shared
// the same way. A B-tree maps names to slots.
//
// Thread safety: not thread-safe (owned by the State); a Frozen copy may be
// read on another thread while the table keeps changing.
#ifndef CKRON_FSM_JOB_TABLE_H_
#define CKRON_FSM_JOB_TABLE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "fsm/job.h"

namespace ckron::fsm {

class JobTable {
 public:
  using Ptr = std::shared_ptr<const Job>;
  static constexpr std::size_t kPageSize = 1024;

  // nullptr when absent.
  const Job* Find(std::string_view name) const;
  // The job, kept alive after later changes (nullptr when absent).
  Ptr Share(std::string_view name) const;
  // A job this table alone owns, for changing in place (copied first if a
  // frozen table or a Share() caller still holds it). nullptr when absent.
  Job* Mutable(std::string_view name);
  // Inserts or replaces job->name.
  void Put(Ptr job);
  // False when absent.
  bool Erase(std::string_view name);
  void Clear();

  std::size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }

  // Visits jobs in name order until `visit` returns false.
  template <typename F>
  void ForEachByName(F&& visit) const {
    for (const auto& [name, slot] : index_) {
      if (!visit(*At(slot))) return;
    }
  }
  // Visits jobs in name order from the first name >= `from`.
  template <typename F>
  void ForEachByNameFrom(std::string_view from, F&& visit) const {
    for (auto it = index_.lower_bound(from); it != index_.end(); ++it) {
      if (!visit(*At(it->second))) return;
    }
  }

  // An immutable copy of the jobs (in slot order, not name order).
  class Frozen {
   public:
    template <typename F>
    void ForEach(F&& visit) const {
      for (const auto& page : pages_) {
        for (const Ptr& job : *page) {
          if (job) visit(*job);
        }
      }
    }
    std::size_t size() const { return size_; }

   private:
    friend class JobTable;
    std::vector<std::shared_ptr<const std::array<Ptr, kPageSize>>> pages_;
    std::size_t size_ = 0;
  };
  Frozen Freeze() const;

 private:
  using Page = std::array<Ptr, kPageSize>;
  const Ptr& At(std::uint32_t slot) const { return (*pages_[slot / kPageSize])[slot % kPageSize]; }
  // The slot's pointer in a page this table alone owns.
  Ptr& MutableAt(std::uint32_t slot);

  std::vector<std::shared_ptr<Page>> pages_;
  // Invariant: every slot in index_ holds a non-null job with that name;
  // every other slot is null and listed in free_.
  absl::btree_map<std::string, std::uint32_t, std::less<>> index_;
  std::vector<std::uint32_t> free_;
};

}  // namespace ckron::fsm

#endif  // CKRON_FSM_JOB_TABLE_H_
