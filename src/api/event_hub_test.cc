// EventHub's leader event (docs/api.md, "Live streams"): the current view
// right after subscribing, then each change to every subscriber; and the
// hub's ordering of job events around it.
#include "api/event_hub.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "api/sse.h"
#include "fsm/execution_store.h"

namespace ckron::api {
namespace {

// A sink that keeps what it is sent; refuses once `capacity` sends were
// taken.
class RecordingSink final : public StreamSink {
 public:
  explicit RecordingSink(std::size_t capacity = 1000) : capacity_(capacity) {}
  bool Send(std::string bytes) override {
    std::lock_guard lock(mu_);
    if (ended_ || sent_.size() >= capacity_) return false;
    sent_.push_back(std::move(bytes));
    return true;
  }
  void End(std::string last) override {
    std::lock_guard lock(mu_);
    ended_ = true;
    last_ = std::move(last);
  }
  std::vector<std::string> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  bool ended() const {
    std::lock_guard lock(mu_);
    return ended_;
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::vector<std::string> sent_;
  std::string last_;
  bool ended_ = false;
};

class EventHubLeaderTest : public ::testing::Test {
 protected:
  fsm::MemoryExecutionStore store_;
  replica::ReplicatedState state_{&store_};
  EventHub hub_{&state_};
};

TEST_F(EventHubLeaderTest, SubscribingFirstSendsTheLeaderNotYetKnown) {
  auto sink = std::make_shared<RecordingSink>();
  hub_.Subscribe(sink, "");
  ASSERT_EQ(sink->sent().size(), 1u);
  EXPECT_EQ(sink->sent()[0], SseEvent("leader", R"({"leader":null,"term":0})"));
}

TEST_F(EventHubLeaderTest, SubscribingSendsTheCurrentLeader) {
  hub_.SetLeader("s1", Term(3));
  auto sink = std::make_shared<RecordingSink>();
  hub_.Subscribe(sink, "some-job");
  ASSERT_EQ(sink->sent().size(), 1u);
  EXPECT_EQ(sink->sent()[0], SseEvent("leader", R"({"leader":"s1","term":3})"));
}

TEST_F(EventHubLeaderTest, ChangesGoToEverySubscriberWhateverItsJobFilter) {
  auto all = std::make_shared<RecordingSink>();
  auto one = std::make_shared<RecordingSink>();
  hub_.Subscribe(all, "");
  hub_.Subscribe(one, "backup");
  hub_.SetLeader("s1", Term(2));
  hub_.SetLeader(std::nullopt, Term(3));  // the leader died; an election runs
  hub_.SetLeader("s2", Term(3));
  for (const auto& sink : {all, one}) {
    const auto sent = sink->sent();
    ASSERT_EQ(sent.size(), 4u);
    EXPECT_EQ(sent[1], SseEvent("leader", R"({"leader":"s1","term":2})"));
    EXPECT_EQ(sent[2], SseEvent("leader", R"({"leader":null,"term":3})"));
    EXPECT_EQ(sent[3], SseEvent("leader", R"({"leader":"s2","term":3})"));
  }
}

TEST_F(EventHubLeaderTest, TheSameViewTwiceIsSentOnce) {
  auto sink = std::make_shared<RecordingSink>();
  hub_.Subscribe(sink, "");
  hub_.SetLeader("s1", Term(2));
  hub_.SetLeader("s1", Term(2));
  EXPECT_EQ(sink->sent().size(), 2u);
}

TEST_F(EventHubLeaderTest, ASubscriberThatRefusesIsDroppedWithOverflow) {
  auto sink = std::make_shared<RecordingSink>(1);  // takes the first event only
  hub_.Subscribe(sink, "");
  EXPECT_EQ(hub_.subscribers(), 1u);
  hub_.SetLeader("s1", Term(2));
  EXPECT_TRUE(sink->ended());
  EXPECT_EQ(hub_.subscribers(), 0u);
}

TEST_F(EventHubLeaderTest, AfterStopNothingIsSent) {
  auto sink = std::make_shared<RecordingSink>();
  hub_.Subscribe(sink, "");
  hub_.Stop();
  hub_.SetLeader("s1", Term(2));
  EXPECT_EQ(sink->sent().size(), 1u);
  EXPECT_TRUE(sink->ended());
}

}  // namespace
}  // namespace ckron::api
