#include "node/leader_watch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace ckron::node {
namespace {

using namespace std::chrono_literals;

TEST(LeaderWatch, ReportsTheFirstViewAndEachChangeOnceAndSkipsUnnamedLeaders) {
  // The views the sampler returns, one per turn (the last one repeats).
  const std::vector<std::optional<LeaderView>> script = {
      LeaderView{std::nullopt, Term(1)},
      LeaderView{std::nullopt, Term(1)},
      std::nullopt,  // a leader known by id only: skipped
      LeaderView{"s1", Term(2)},
      LeaderView{"s1", Term(2)},
      LeaderView{std::nullopt, Term(3)},
      LeaderView{"s2", Term(3)}};
  std::atomic<std::size_t> turn{0};
  std::mutex mu;
  std::vector<LeaderView> seen;
  std::atomic<int> slow{0};
  LeaderWatch watch(
      {.interval = 1ms, .slow_every = 2},
      [&]() -> std::optional<LeaderView> {
        const std::size_t t = std::min(turn.fetch_add(1), script.size() - 1);
        return script[t];
      },
      [&](const LeaderView& v) {
        std::lock_guard lock(mu);
        seen.push_back(v);
      },
      [&] { ++slow; });
  watch.Start();
  for (int i = 0; i < 2000 && turn.load() < script.size() + 4; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  watch.Stop();
  std::lock_guard lock(mu);
  const std::vector<LeaderView> want = {
      LeaderView{std::nullopt, Term(1)}, LeaderView{"s1", Term(2)},
      LeaderView{std::nullopt, Term(3)}, LeaderView{"s2", Term(3)}};
  EXPECT_EQ(seen, want);
  EXPECT_GE(slow.load(), 2);
}

TEST(LeaderWatch, StopIsIdempotentAndWorksBeforeStart) {
  LeaderWatch watch(
      {}, [] { return std::optional<LeaderView>(); }, [](const LeaderView&) {}, {});
  watch.Stop();
  watch.Stop();
}

}  // namespace
}  // namespace ckron::node
