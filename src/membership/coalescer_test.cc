// Event coalescing on the simulated clock: what is delivered, and when.
#include "membership/coalescer.h"

#include <gtest/gtest.h>

#include "membership/sim_network.h"

namespace ckron::membership {
namespace {

using Type = SerfEvent::Type;

SerfEvent MemberEv(Type t, const std::string& name) {
  SerfEvent e;
  e.type = t;
  Member m;
  m.name = name;
  e.members.push_back(m);
  return e;
}

SerfEvent UserEv(const std::string& name, const std::string& payload, std::uint64_t ltime,
                 bool cc) {
  SerfEvent e;
  e.type = Type::kUser;
  e.name = name;
  e.payload = payload;
  e.ltime = ltime;
  e.coalesce = cc;
  return e;
}

// A coalescer on one simulated node, recording deliveries with their
// (virtual) time.
struct Fixture {
  explicit Fixture(CoalesceOptions o = {})
      : net(SimOptions{}),
        env(net.AddNode(Address{std::string("\x0a\x00\x00\x01", 4), 7946})),
        c(o, env, [this](const SerfEvent& e) {
          out.push_back({net.now(), e});
        }) {}
  void RunFor(Nanos d) { net.RunUntil(net.now() + d); }
  // "join:a,b" style summary of delivered member events.
  std::vector<std::string> Summary() const {
    std::vector<std::string> s;
    for (const auto& [at, e] : out) {
      std::string line = e.type == Type::kMemberJoin     ? "join:"
                         : e.type == Type::kMemberLeave  ? "leave:"
                         : e.type == Type::kMemberFailed ? "failed:"
                         : e.type == Type::kMemberUpdate ? "update:"
                         : e.type == Type::kMemberReap   ? "reap:"
                                                         : "user:" + e.name + "=" + e.payload;
      for (std::size_t i = 0; i < e.members.size(); ++i) line += (i ? "," : "") + e.members[i].name;
      s.push_back(line);
    }
    return s;
  }
  SimNetwork net;
  Env& env;
  std::vector<std::pair<Nanos, SerfEvent>> out;
  EventCoalescer c;
};

using V = std::vector<std::string>;

TEST(Coalescer, MemberEventsAreBatchedUntilQuiet) {
  Fixture f;
  f.c.Push(MemberEv(Type::kMemberJoin, "b"));
  f.RunFor(500ms);
  f.c.Push(MemberEv(Type::kMemberJoin, "a"));
  f.c.Push(MemberEv(Type::kMemberFailed, "c"));
  f.RunFor(999ms);
  EXPECT_TRUE(f.out.empty()) << "quiescent period not over yet";
  f.RunFor(2ms);
  // One event per type, members by name, types in a fixed order.
  EXPECT_EQ(f.Summary(), (V{"join:a,b", "failed:c"}));
  EXPECT_EQ(f.out[0].first, 1500ms);
}

TEST(Coalescer, ASteadyStreamIsCutAtTheCoalescePeriod) {
  Fixture f;
  for (int i = 0; i < 10; ++i) {  // one event every 500 ms: never quiet for 1 s
    f.c.Push(MemberEv(Type::kMemberUpdate, "n" + std::to_string(i)));
    f.RunFor(500ms);
  }
  ASSERT_GE(f.out.size(), 1u);
  EXPECT_EQ(f.out[0].first, 3s);
  EXPECT_EQ(f.out[0].second.members.size(), 6u);  // pushed at 0, 0.5, ..., 2.5 s
}

TEST(Coalescer, EachMemberOnceWithItsLatestEventAndFlapsVanish) {
  Fixture f;
  f.c.Push(MemberEv(Type::kMemberJoin, "a"));
  f.RunFor(2s);
  EXPECT_EQ(f.Summary(), (V{"join:a"}));
  // a fails and comes back within one batch: its latest event (join) is
  // what was last delivered for it, so nothing is delivered.
  f.c.Push(MemberEv(Type::kMemberFailed, "a"));
  f.RunFor(300ms);
  f.c.Push(MemberEv(Type::kMemberJoin, "a"));
  f.RunFor(5s);
  EXPECT_EQ(f.Summary(), (V{"join:a"}));
  // A failure that sticks is delivered once.
  f.c.Push(MemberEv(Type::kMemberFailed, "a"));
  f.c.Push(MemberEv(Type::kMemberFailed, "a"));
  f.RunFor(5s);
  EXPECT_EQ(f.Summary(), (V{"join:a", "failed:a"}));
}

TEST(Coalescer, UpdatesAreAlwaysDeliveredButNotRepeatedInLaterBatches) {
  Fixture f;
  f.c.Push(MemberEv(Type::kMemberUpdate, "a"));
  f.RunFor(2s);
  f.c.Push(MemberEv(Type::kMemberUpdate, "a"));
  f.RunFor(2s);
  f.c.Push(MemberEv(Type::kMemberJoin, "b"));
  f.RunFor(2s);
  // (Serf would deliver a's update a third time with b's join.)
  EXPECT_EQ(f.Summary(), (V{"update:a", "update:a", "join:b"}));
}

TEST(Coalescer, AReapForgetsTheMemberSoARejoinIsDelivered) {
  Fixture f;
  f.c.Push(MemberEv(Type::kMemberJoin, "a"));
  f.RunFor(2s);
  f.c.Push(MemberEv(Type::kMemberReap, "a"));
  f.RunFor(2s);
  f.c.Push(MemberEv(Type::kMemberJoin, "a"));
  f.RunFor(2s);
  EXPECT_EQ(f.Summary(), (V{"join:a", "reap:a", "join:a"}));
}

TEST(Coalescer, UserEventsCoalescePerNameOnlyWhenTheSenderAsked) {
  Fixture f;
  f.c.Push(UserEv("deploy", "v1", 10, true));
  f.c.Push(UserEv("deploy", "v3", 12, true));
  f.c.Push(UserEv("deploy", "v2", 11, true));  // older than v3: superseded
  f.c.Push(UserEv("restart", "x", 5, true));
  f.c.Push(UserEv("restart", "y", 5, true));  // same Lamport time: both kept
  f.c.Push(UserEv("ping", "now", 3, false));  // not coalescing: at once
  EXPECT_EQ(f.Summary(), (V{"user:ping=now"}));
  f.RunFor(1001ms);
  EXPECT_EQ(f.Summary(),
            (V{"user:ping=now", "user:deploy=v3", "user:restart=x", "user:restart=y"}));
}

TEST(Coalescer, MemberAndUserWindowsAreIndependent) {
  Fixture f;
  f.c.Push(MemberEv(Type::kMemberJoin, "a"));
  f.RunFor(800ms);
  f.c.Push(UserEv("deploy", "v1", 1, true));
  f.RunFor(201ms);
  EXPECT_EQ(f.Summary(), (V{"join:a"}));
  f.RunFor(800ms);
  EXPECT_EQ(f.Summary(), (V{"join:a", "user:deploy=v1"}));
}

TEST(Coalescer, ZeroPeriodsDeliverEverythingAtOnce) {
  Fixture f(CoalesceOptions{.member_period = 0s, .user_quiescent = 0s});
  f.c.Push(MemberEv(Type::kMemberFailed, "a"));
  f.c.Push(MemberEv(Type::kMemberJoin, "a"));
  f.c.Push(UserEv("deploy", "v1", 1, true));
  EXPECT_EQ(f.Summary(), (V{"failed:a", "join:a", "user:deploy=v1"}));
}

TEST(Coalescer, FlushDeliversWhatIsHeldNow) {
  Fixture f;
  f.c.Push(MemberEv(Type::kMemberLeave, "a"));
  f.c.Push(UserEv("deploy", "v1", 1, true));
  f.c.Flush();
  EXPECT_EQ(f.Summary(), (V{"user:deploy=v1", "leave:a"}));
  f.RunFor(10s);  // the cancelled timers deliver nothing more
  EXPECT_EQ(f.out.size(), 2u);
}

}  // namespace
}  // namespace ckron::membership
