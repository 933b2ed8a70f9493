#include "raft/leadership.h"

#include <gtest/gtest.h>

#include <vector>

namespace ckron::raft::internal {
namespace {

using Kind = LeadershipEvent::Kind;

TEST(LeadershipTracker, GainedThenLostPaired) {
  LeadershipTracker t;
  std::vector<LeadershipEvent> ev;
  t.Observe(false, Term(1), &ev);
  EXPECT_TRUE(ev.empty());
  t.Observe(true, Term(2), &ev);
  t.Observe(true, Term(2), &ev);
  t.Observe(false, Term(3), &ev);
  const std::vector<LeadershipEvent> want = {{Kind::kGained, Term(2)}, {Kind::kLost, Term(2)}};
  EXPECT_EQ(ev, want);
  EXPECT_FALSE(t.leading_term().has_value());
}

TEST(LeadershipTracker, LoseAndWinBetweenObservationsEmitsBoth) {
  LeadershipTracker t;
  std::vector<LeadershipEvent> ev;
  t.Observe(true, Term(4), &ev);
  ev.clear();
  t.Observe(true, Term(6), &ev);
  const std::vector<LeadershipEvent> want = {{Kind::kLost, Term(4)}, {Kind::kGained, Term(6)}};
  EXPECT_EQ(ev, want);
  EXPECT_EQ(t.leading_term(), Term(6));
}

TEST(ListenerRegistry, InactiveListenersSeeNothingUntilActivated) {
  ListenerRegistry r;
  std::vector<LeadershipEvent> seen;
  const auto h = r.Add([&](const LeadershipEvent& e) { seen.push_back(e); }, false);
  r.Publish({{Kind::kLost, Term(1)}});
  EXPECT_TRUE(seen.empty());
  r.Activate(h, LeadershipEvent{Kind::kGained, Term(2)});
  r.Publish({{Kind::kLost, Term(2)}});
  const std::vector<LeadershipEvent> want = {{Kind::kGained, Term(2)}, {Kind::kLost, Term(2)}};
  EXPECT_EQ(seen, want);
}

TEST(ListenerRegistry, ListenerMayRemoveItselfWhilePublishing) {
  ListenerRegistry r;
  int a = 0, b = 0;
  std::uint64_t ha = 0;
  ha = r.Add(
      [&](const LeadershipEvent&) {
        ++a;
        r.Remove(ha);
      },
      true);
  r.Add([&](const LeadershipEvent&) { ++b; }, true);
  r.Publish({{Kind::kGained, Term(1)}, {Kind::kLost, Term(1)}});
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
}

}  // namespace
}  // namespace ckron::raft::internal
