#include "raft/inbound_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace ckron::raft::internal {
namespace {

Proposal Make(std::string c) {
  Proposal p;
  p.command = std::move(c);
  return p;
}

TEST(InboundQueue, RejectsUntilOpenedAndAfterClose) {
  InboundQueue q(4, nullptr);
  Proposal p = Make("a");
  EXPECT_EQ(q.Push(p).code(), StatusCode::kCancelled);
  EXPECT_EQ(p.command, "a");  // left untouched for the caller
  EXPECT_FALSE(q.Post([] {}));
  q.Reopen();
  EXPECT_TRUE(q.Push(p).ok());
  q.Close();
  Proposal p2 = Make("b");
  EXPECT_EQ(q.Push(p2).code(), StatusCode::kCancelled);
}

TEST(InboundQueue, BoundCountsTakenUntilReleased) {
  InboundQueue q(2, nullptr);
  q.Reopen();
  Proposal a = Make("a"), b = Make("b"), c = Make("c");
  ASSERT_TRUE(q.Push(a).ok());
  ASSERT_TRUE(q.Push(b).ok());
  EXPECT_EQ(q.Push(c).code(), StatusCode::kResourceExhausted);
  std::deque<Proposal> taken;
  EXPECT_EQ(q.TakeProposals(&taken), 2u);
  // Taken but not yet in the log: still outstanding.
  EXPECT_EQ(q.Push(c).code(), StatusCode::kResourceExhausted);
  q.Release(1);
  EXPECT_TRUE(q.Push(c).ok());
  EXPECT_EQ(q.outstanding(), 2u);
  taken.clear();
  q.Release(1);
  q.TakeProposals(&taken);
  q.Release(1);
  EXPECT_EQ(q.outstanding(), 0u);
}

TEST(InboundQueue, WakesOnEveryPushAndPost) {
  int wakes = 0;
  InboundQueue q(8, [&] { ++wakes; });
  q.Reopen();
  Proposal p = Make("x");
  ASSERT_TRUE(q.Push(p).ok());
  ASSERT_TRUE(q.Post([] {}));
  EXPECT_EQ(wakes, 2);
  std::deque<std::function<void()>> tasks;
  q.TakeTasks(&tasks);
  EXPECT_EQ(tasks.size(), 1u);
}

TEST(InboundQueue, ConcurrentProducersKeepFifoPerProducer) {
  InboundQueue q(100000, nullptr);
  q.Reopen();
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&q, t] {
      for (int i = 0; i < kEach; ++i) {
        Proposal p = Make(std::to_string(t) + ":" + std::to_string(i));
        ASSERT_TRUE(q.Push(p).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::deque<Proposal> taken;
  ASSERT_EQ(q.TakeProposals(&taken), static_cast<std::size_t>(kThreads * kEach));
  std::vector<int> next(kThreads, 0);
  for (const Proposal& p : taken) {
    const auto t = static_cast<std::size_t>(std::stoi(p.command.substr(0, p.command.find(':'))));
    const int i = std::stoi(p.command.substr(p.command.find(':') + 1));
    EXPECT_EQ(i, next[t]++);
  }
  q.Release(taken.size());
}

}  // namespace
}  // namespace ckron::raft::internal
