// Idle libcurl transfer slots kept between http executions, so the next
// request to the same origin reuses a connection (and its TLS session).
//
// A slot is one multi handle with one easy handle: libcurl keeps a
// transfer's connections in its multi handle's cache, so a slot returned
// here keeps its open connection for whoever takes it next, and each running
// transfer owns its slot alone (no libcurl handle is shared between
// threads). Slots are keyed by origin and TLS settings — libcurl only reuses
// a connection whose TLS settings match anyway — and the keys form an LRU of
// `max_keys` (Dkron: an LRU of 100 http.Clients), each holding at most
// `max_idle_per_key` idle slots; what falls out is closed.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_EXECUTOR_BUILTIN_CURL_POOL_H_
#define CKRON_EXECUTOR_BUILTIN_CURL_POOL_H_

#include <curl/curl.h>

#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ckron::executor {

// One multi handle with one easy handle. Owned by one thread at a time.
class CurlSlot {
 public:
  // Null handles if libcurl cannot allocate them; check ok().
  CurlSlot();
  ~CurlSlot();
  CurlSlot(const CurlSlot&) = delete;
  CurlSlot& operator=(const CurlSlot&) = delete;

  bool ok() const { return multi_ != nullptr && easy_ != nullptr; }
  CURLM* multi() const { return multi_; }
  CURL* easy() const { return easy_; }

 private:
  CURLM* multi_;
  CURL* easy_;
};

class CurlPool {
 public:
  // REQUIRES: max_keys > 0. Initialises libcurl (once per process).
  CurlPool(std::size_t max_keys, std::size_t max_idle_per_key);

  // An idle slot for `key`, or a new one; nullptr only if libcurl cannot
  // allocate handles.
  std::unique_ptr<CurlSlot> Acquire(const std::string& key);

  // Keeps `slot` for the next Acquire(key). Call only after a transfer that
  // ended cleanly (a cancelled or failed one's slot is just destroyed).
  void Release(const std::string& key, std::unique_ptr<CurlSlot> slot);

  // Idle slots held now (for tests and metrics).
  std::size_t idle() const;

 private:
  struct Idle {
    std::deque<std::unique_ptr<CurlSlot>> slots;  // Invariant: size() <= max_idle_per_key_
    std::list<std::string>::iterator lru;         // position in lru_
  };
  const std::size_t max_keys_;
  const std::size_t max_idle_per_key_;
  mutable std::mutex mu_;
  std::list<std::string> lru_;                  // most recently used first; GUARDED_BY(mu_)
  std::unordered_map<std::string, Idle> idle_;  // Invariant: size() <= max_keys_; GUARDED_BY(mu_)
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_CURL_POOL_H_
