#include "fsm/job_table.h"

#include <atomic>

namespace ckron::fsm {

const Job* JobTable::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : At(it->second).get();
}

JobTable::Ptr JobTable::Share(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : At(it->second);
}

JobTable::Ptr& JobTable::MutableAt(std::uint32_t slot) {
  std::shared_ptr<Page>& page = pages_[slot / kPageSize];
  if (page.use_count() > 1) page = std::make_shared<Page>(*page);  // a frozen copy holds it
  return (*page)[slot % kPageSize];
}

Job* JobTable::Mutable(std::string_view name) {
  auto it = index_.find(name);
  if (it == index_.end()) return nullptr;
  Ptr& ptr = MutableAt(it->second);
  if (ptr.use_count() > 1) {
    ptr = std::make_shared<const Job>(*ptr);  // someone still reads it
  } else {
    // Sole owner: safe to change. The last other holder's reads happened
    // before its reference was dropped (a release decrement); this fence
    // orders our writes after them.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return const_cast<Job*>(ptr.get());
}

void JobTable::Put(Ptr job) {
  auto it = index_.find(job->name);
  if (it != index_.end()) {
    MutableAt(it->second) = std::move(job);
    return;
  }
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(pages_.size() * kPageSize);
    pages_.push_back(std::make_shared<Page>());
    for (std::uint32_t s = slot + kPageSize - 1; s > slot; --s) free_.push_back(s);
  }
  std::string name = job->name;
  MutableAt(slot) = std::move(job);
  index_.emplace(std::move(name), slot);
}

bool JobTable::Erase(std::string_view name) {
  auto it = index_.find(name);
  if (it == index_.end()) return false;
  MutableAt(it->second).reset();
  free_.push_back(it->second);
  index_.erase(it);
  return true;
}

void JobTable::Clear() {
  pages_.clear();
  index_.clear();
  free_.clear();
}

JobTable::Frozen JobTable::Freeze() const {
  Frozen f;
  f.pages_.assign(pages_.begin(), pages_.end());
  f.size_ = index_.size();
  return f;
}

}  // namespace ckron::fsm
