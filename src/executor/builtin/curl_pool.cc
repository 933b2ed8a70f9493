#include "executor/builtin/curl_pool.h"

#include <utility>

#include "common/check.h"

namespace ckron::executor {

CurlSlot::CurlSlot() : multi_(curl_multi_init()), easy_(curl_easy_init()) {}

CurlSlot::~CurlSlot() {
  // The easy handle is never left attached to the multi between transfers.
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  if (multi_ != nullptr) curl_multi_cleanup(multi_);  // closes cached connections
}

CurlPool::CurlPool(std::size_t max_keys, std::size_t max_idle_per_key)
    : max_keys_(max_keys), max_idle_per_key_(max_idle_per_key) {
  CKRON_CHECK(max_keys_ > 0);
  static std::once_flag init;
  // libcurl 7.84+ built "threadsafe" makes this safe anyway; once is enough.
  std::call_once(init, [] { CKRON_CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK); });
}

std::unique_ptr<CurlSlot> CurlPool::Acquire(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    if (it != idle_.end() && !it->second.slots.empty()) {
      std::unique_ptr<CurlSlot> slot = std::move(it->second.slots.back());
      it->second.slots.pop_back();
      return slot;
    }
  }
  auto slot = std::make_unique<CurlSlot>();
  if (!slot->ok()) return nullptr;
  return slot;
}

void CurlPool::Release(const std::string& key, std::unique_ptr<CurlSlot> slot) {
  std::unique_ptr<CurlSlot> dropped;  // closed outside the lock
  std::deque<std::unique_ptr<CurlSlot>> evicted;
  {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) {
      if (idle_.size() >= max_keys_) {  // evict the least recently used key
        auto victim = idle_.find(lru_.back());
        evicted = std::move(victim->second.slots);
        idle_.erase(victim);
        lru_.pop_back();
      }
      lru_.push_front(key);
      it = idle_.emplace(key, Idle{{}, lru_.begin()}).first;
    } else {
      lru_.splice(lru_.begin(), lru_, it->second.lru);
    }
    if (it->second.slots.size() < max_idle_per_key_) {
      it->second.slots.push_back(std::move(slot));
    } else {
      dropped = std::move(slot);
    }
    CKRON_CHECK(idle_.size() <= max_keys_ && idle_.size() == lru_.size());
  }
}

std::size_t CurlPool::idle() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [key, entry] : idle_) n += entry.slots.size();
  return n;
}

}  // namespace ckron::executor
