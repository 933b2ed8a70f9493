// TimerQueue: callbacks run in time order on the queue's thread, a
// cancelled timer never runs, a callback may schedule another, and pending
// timers are dropped on destruction. Waits are bounded; nothing asserts on
// how long anything took.
#include "rpc/timer_queue.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"

namespace ckron::rpc {
namespace {

struct Log {
  void Add(std::string s) {
    std::lock_guard lock(mu);
    entries.push_back(std::move(s));
    threads.push_back(std::this_thread::get_id());
    cv.notify_all();
  }
  bool Wait(std::size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return entries.size() >= n; });
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> entries;
  std::vector<std::thread::id> threads;
};

TEST(TimerQueue, RunsInTimeOrderOnItsOwnThreadAndSkipsCancelled) {
  Log log;
  TimerQueue q;
  const absl::Time now = absl::Now();
  q.Schedule(now + absl::Milliseconds(30), [&] { log.Add("third"); });
  const TimerQueue::Id gone = q.Schedule(now + absl::Milliseconds(20), [&] { log.Add("gone"); });
  q.Schedule(now + absl::Milliseconds(10), [&] { log.Add("second"); });
  q.Schedule(now - absl::Seconds(1), [&] { log.Add("first"); });  // already due
  EXPECT_TRUE(q.Cancel(gone));
  EXPECT_FALSE(q.Cancel(gone));
  ASSERT_TRUE(log.Wait(3));
  EXPECT_EQ(log.entries, (std::vector<std::string>{"first", "second", "third"}));
  for (const auto& id : log.threads) EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_EQ(q.pending(), 0u);
}

TEST(TimerQueue, ACallbackMaySchedule) {
  Log log;
  TimerQueue q;
  q.Schedule(absl::Now(), [&] {
    log.Add("outer");
    q.Schedule(absl::Now(), [&] { log.Add("inner"); });
  });
  ASSERT_TRUE(log.Wait(2));
  EXPECT_EQ(log.entries, (std::vector<std::string>{"outer", "inner"}));
}

TEST(TimerQueue, PendingTimersAreDroppedOnDestruction) {
  bool ran = false;
  {
    TimerQueue q;
    q.Schedule(absl::Now() + absl::Hours(1), [&] { ran = true; });
    EXPECT_EQ(q.pending(), 1u);
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace ckron::rpc
