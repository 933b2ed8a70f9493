// Runs callbacks at given times on one thread of its own, so that code
// waiting for "later" (a retry's backoff, a deadline) holds a timer instead
// of a sleeping thread. Timers can be cancelled.
//
// Callbacks run one at a time on the queue's thread, never with the queue's
// lock held; they must be short and must not block (they delay every other
// timer). A callback may schedule or cancel timers.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_RPC_TIMER_QUEUE_H_
#define CKRON_RPC_TIMER_QUEUE_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/time/time.h"

namespace ckron::rpc {

class TimerQueue {
 public:
  using Id = std::uint64_t;

  TimerQueue();
  // Drops the timers not yet due (their callbacks never run) and joins the
  // thread. REQUIRES: not called from a callback.
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` at `when` (at once, on the queue's thread, if it has passed).
  // Returns an id for Cancel.
  Id Schedule(absl::Time when, std::function<void()> fn);
  // True if the timer was pending and will not run; false if it ran, is
  // running or was cancelled already.
  bool Cancel(Id id);

  // Timers scheduled and not yet run or cancelled (for tests).
  std::size_t pending() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable cv_;
  // (when, id) -> callback; guarded by mu_.
  std::map<std::pair<absl::Time, Id>, std::function<void()>> timers_;
  std::map<Id, absl::Time> when_;  // id -> its key's time; guarded by mu_
  Id next_id_ = 1;                 // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::thread thread_;             // last: starts after the fields above
};

}  // namespace ckron::rpc

#endif  // CKRON_RPC_TIMER_QUEUE_H_
