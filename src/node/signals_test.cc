#include "node/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace ckron::node {
namespace {

// Runs in its own process (ctest runs each test separately), so blocking
// signals here does not leak into other tests.
TEST(SignalThread, DeliversProcessSignalsToTheCallbackAndIgnoresSigpipe) {
  BlockShutdownSignals();
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> got;
  {
    SignalThread thread([&](int s) {
      std::lock_guard lock(mu);
      got.push_back(s);
      cv.notify_all();
    });
    auto wait_for = [&](std::size_t n) {
      std::unique_lock lock(mu);
      return cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= n; });
    };
    ASSERT_EQ(kill(getpid(), SIGHUP), 0);
    ASSERT_TRUE(wait_for(1));
    ASSERT_EQ(kill(getpid(), SIGTERM), 0);
    ASSERT_TRUE(wait_for(2));
    ASSERT_EQ(kill(getpid(), SIGPIPE), 0);  // ignored: the process survives
    ASSERT_EQ(kill(getpid(), SIGINT), 0);
    ASSERT_TRUE(wait_for(3));
  }  // stops and joins without a callback
  EXPECT_EQ(got, (std::vector<int>{SIGHUP, SIGTERM, SIGINT}));
}

}  // namespace
}  // namespace ckron::node
