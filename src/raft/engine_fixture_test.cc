// The real Engine (batching, result routing, leadership detection, membership
// operations, snapshots through the FsmAdapter, fail-stop guard) on libraft's
// deterministic in-memory cluster, raft_fixture. Simulated time: no sleeps.
// What the fixture cannot exercise -- the libuv loop thread, TCP, disk, the
// inbound queue's wake-ups -- is covered by node_test.cc and tests/raft/.
//
// Fixture notes (deps.md §1): after killing the leader, step until it is
// gone before waiting for a new one; partition with raft_fixture_saturate.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raft/engine.h"
#include "raft/testing/kv_state_machine.h"

extern "C" {
#include <raft/fixture.h>
}

namespace ckron::raft::internal {
namespace {

using testing::KvStateMachine;

template <typename T>
bool Ready(const std::future<T>& f) {
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

struct TestServer {
  explicit TestServer(const Options& options)
      : queue(options.max_queued_proposals, nullptr), engine(options, &sm, &queue, &listeners) {
    queue.Reopen();
    listeners.Add([this](const LeadershipEvent& e) { events.push_back(e); }, true);
  }
  KvStateMachine sm{4};
  InboundQueue queue;
  ListenerRegistry listeners;
  Engine engine;
  std::vector<LeadershipEvent> events;
  std::vector<Status> fatal;
};

class EngineFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(raft_fixture_initialize(&f_), 0); }

  void TearDown() override {
    for (auto& s : servers_) s->engine.BeginShutdown();
    raft_fixture_close(&f_);  // flushes pending I/O, then closes every instance
    for (auto& s : servers_) {
      s->engine.FinishShutdown();
      s->engine.Detach();
    }
  }

  // Adds a server (not bootstrapped, not started).
  TestServer& Grow(Options options = {}) {
    servers_.push_back(std::make_unique<TestServer>(options));
    TestServer& s = *servers_.back();
    // libraft 0.15's fixture io leaves `version` 0, which refuses an fsm with
    // snapshot_async; it does implement async_work.
    f_.servers[f_.n].io.version = 2;
    EXPECT_EQ(raft_fixture_grow(&f_, s.engine.fsm()), 0);
    ::raft* r = raft_fixture_get(&f_, f_.n - 1);
    raft_set_pre_vote(r, true);
    raft_set_snapshot_threshold(r, options.snapshot_threshold);
    raft_set_snapshot_trailing(r, options.snapshot_trailing);
    s.engine.Attach(r, [&s](const Status& st) { s.fatal.push_back(st); });
    return s;
  }

  void StartCluster(unsigned n, Options options = {}) {
    for (unsigned i = 0; i < n; ++i) Grow(options);
    struct raft_configuration conf;
    ASSERT_EQ(raft_fixture_configuration(&f_, n, &conf), 0);
    ASSERT_EQ(raft_fixture_bootstrap(&f_, &conf), 0);
    raft_configuration_close(&conf);
    ASSERT_EQ(raft_fixture_start(&f_), 0);
    ASSERT_TRUE(StepUntil([&] { return LeaderIndex() < n; }));
  }

  // Steps the cluster, running every engine's loop-iteration work between
  // steps, until `done` holds or `max_ms` of simulated time passed.
  bool StepUntil(const std::function<bool()>& done, unsigned max_ms = 10000) {
    const raft_time deadline = raft_fixture_time(&f_) + max_ms;
    for (;;) {
      for (auto& s : servers_) s->engine.Tick();
      if (done()) return true;
      if (raft_fixture_time(&f_) > deadline) return false;
      raft_fixture_step(&f_);
    }
  }

  // The index of the server in leader state with the highest term, or n.
  unsigned LeaderIndex() {
    unsigned best = f_.n;
    for (unsigned i = 0; i < f_.n; ++i) {
      ::raft* r = raft_fixture_get(&f_, i);
      if (raft_fixture_alive(&f_, i) && raft_state(r) == RAFT_LEADER &&
          (best == f_.n || r->current_term > raft_fixture_get(&f_, best)->current_term)) {
        best = i;
      }
    }
    return best;
  }

  std::future<Result<Applied>> Propose(TestServer& s, std::string command) {
    auto promise = std::make_shared<std::promise<Result<Applied>>>();
    auto f = promise->get_future();
    Proposal p;
    p.command = std::move(command);
    p.done = [promise](Result<Applied> r) { promise->set_value(std::move(r)); };
    const Status st = s.queue.Push(p);
    if (!st.ok()) p.Complete(st);
    return f;
  }

  template <typename Op>
  std::future<Status> Control(Op op) {
    auto p = std::make_shared<std::promise<Status>>();
    auto f = p->get_future();
    op(std::move(*p));
    return f;
  }

  raft_fixture f_{};  // zeroed: raft_fixture_initialize does not reset n
  std::vector<std::unique_ptr<TestServer>> servers_;
};

TEST_F(EngineFixtureTest, ElectsLeaderAndPublishesGained) {
  StartCluster(3);
  const unsigned l = LeaderIndex();
  TestServer& leader = *servers_[l];
  ASSERT_EQ(leader.events.size(), 1u);
  EXPECT_EQ(leader.events[0].kind, LeadershipEvent::Kind::kGained);
  EXPECT_TRUE(leader.engine.IsLeader());
  for (unsigned i = 0; i < 3; ++i) {
    if (i != l) {
      EXPECT_TRUE(servers_[i]->events.empty());
    }
  }
  ASSERT_TRUE(StepUntil([&] { return servers_[(l + 1) % 3]->engine.leader().has_value(); }));
  EXPECT_EQ(servers_[(l + 1) % 3]->engine.leader()->id, RaftId(l + 1));
  EXPECT_EQ(leader.engine.Configuration().size(), 3u);
}

TEST_F(EngineFixtureTest, AppliesInOrderOnEveryServerWithPerCommandResults) {
  StartCluster(3);
  TestServer& leader = *servers_[LeaderIndex()];
  std::vector<std::future<Result<Applied>>> fs;
  for (int i = 0; i < 300; ++i) {
    fs.push_back(Propose(leader, "put k" + std::to_string(i % 10) + " v" + std::to_string(i)));
  }
  ASSERT_TRUE(StepUntil([&] {
    for (auto& f : fs) {
      if (!Ready(f)) return false;
    }
    return true;
  }));
  for (int i = 0; i < 300; ++i) {
    auto r = fs[static_cast<std::size_t>(i)].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // The result is the previous value of the key: the command 10 before.
    EXPECT_EQ(r->result, i < 10 ? "" : "v" + std::to_string(i - 10));
  }
  ASSERT_TRUE(StepUntil([&] {
    for (auto& s : servers_) {
      if (s->sm.applied() != 300) return false;
    }
    return true;
  }));
  for (auto& s : servers_) {
    EXPECT_EQ(s->sm.Contents(), leader.sm.Contents());
    EXPECT_EQ(s->sm.order_violations(), 0u);
  }
}

TEST_F(EngineFixtureTest, GroupCommitPacksQueuedProposalsIntoFewEntries) {
  Options o;
  o.max_batch_commands = 64;
  o.max_inflight_batches = 1;
  StartCluster(3, o);
  TestServer& leader = *servers_[LeaderIndex()];
  std::vector<std::future<Result<Applied>>> fs;
  for (int i = 0; i < 256; ++i) fs.push_back(Propose(leader, "put a" + std::to_string(i) + " x"));
  ASSERT_TRUE(StepUntil([&] { return Ready(fs.back()); }));
  for (auto& f : fs) ASSERT_TRUE(f.get().ok());
  EXPECT_EQ(leader.engine.commands_proposed(), 256u);
  // 256 queued commands in batches of at most 64.
  EXPECT_EQ(leader.engine.entries_proposed(), 4u);
}

TEST_F(EngineFixtureTest, BatchByteLimitSplitsEntries) {
  Options o;
  o.max_batch_bytes = 100;
  StartCluster(3, o);
  TestServer& leader = *servers_[LeaderIndex()];
  std::vector<std::future<Result<Applied>>> fs;
  // 40-byte values: two fit in 100 bytes of payload, three do not; a value
  // larger than the limit travels alone.
  for (int i = 0; i < 6; ++i) fs.push_back(Propose(leader, "put k " + std::string(34, 'v')));
  fs.push_back(Propose(leader, "put big " + std::string(200, 'v')));
  ASSERT_TRUE(StepUntil([&] { return Ready(fs.back()); }));
  for (auto& f : fs) ASSERT_TRUE(f.get().ok());
  EXPECT_EQ(leader.engine.entries_proposed(), 4u);
}

TEST_F(EngineFixtureTest, FollowerRejectsWithLeaderHint) {
  StartCluster(3);
  const unsigned l = LeaderIndex();
  TestServer& follower = *servers_[(l + 1) % 3];
  ASSERT_TRUE(StepUntil([&] { return follower.engine.leader().has_value(); }));
  auto f = Propose(follower, "put a b");
  follower.engine.Tick();
  ASSERT_TRUE(Ready(f));
  const auto r = f.get();
  EXPECT_EQ(r.status().code(), StatusCode::kNotLeader);
  // Fixture addresses are the stringified ids.
  EXPECT_EQ(r.status().leader_hint(), std::to_string(l + 1));
  auto b = Control([&](std::promise<Status> p) { follower.engine.Barrier(std::move(p)); });
  EXPECT_EQ(b.get().code(), StatusCode::kNotLeader);
}

TEST_F(EngineFixtureTest, LeadershipLostAfterAppendGivesOutcomeUnknown) {
  StartCluster(3);
  const unsigned l = LeaderIndex();
  TestServer& leader = *servers_[l];
  // Cut the leader off (both directions) so its entry cannot commit.
  for (unsigned i = 0; i < 3; ++i) {
    if (i == l) continue;
    raft_fixture_saturate(&f_, l, i);
    raft_fixture_saturate(&f_, i, l);
  }
  auto f = Propose(leader, "put lost 1");
  leader.engine.Tick();
  EXPECT_EQ(leader.engine.inflight_batches(), 1u);
  ASSERT_TRUE(StepUntil([&] { return Ready(f); }));
  EXPECT_EQ(f.get().status().code(), StatusCode::kOutcomeUnknown);
  ASSERT_EQ(leader.events.size(), 2u);
  EXPECT_EQ(leader.events[1].kind, LeadershipEvent::Kind::kLost);
  EXPECT_EQ(leader.events[1].term, leader.events[0].term);
  EXPECT_FALSE(leader.engine.IsLeader());

  // The majority side elects a new leader that accepts writes.
  ASSERT_TRUE(StepUntil([&] {
    const unsigned n = LeaderIndex();
    return n < 3 && n != l;
  }));
  TestServer& next = *servers_[LeaderIndex()];
  auto g = Propose(next, "put after 1");
  ASSERT_TRUE(StepUntil([&] { return Ready(g); }));
  EXPECT_TRUE(g.get().ok());
}

TEST_F(EngineFixtureTest, NewLeaderAfterKillKeepsAcknowledgedWrites) {
  StartCluster(3);
  const unsigned l = LeaderIndex();
  std::vector<std::future<Result<Applied>>> fs;
  for (int i = 0; i < 20; ++i)
    fs.push_back(Propose(*servers_[l], "put a" + std::to_string(i) + " 1"));
  ASSERT_TRUE(StepUntil([&] { return Ready(fs.back()); }));
  for (auto& f : fs) ASSERT_TRUE(f.get().ok());
  raft_fixture_kill(&f_, l);
  ASSERT_TRUE(raft_fixture_step_until_has_no_leader(&f_, 10000));
  ASSERT_TRUE(StepUntil([&] {
    const unsigned n = LeaderIndex();
    return n < 3 && n != l;
  }));
  TestServer& next = *servers_[LeaderIndex()];
  auto b = Control([&](std::promise<Status> p) { next.engine.Barrier(std::move(p)); });
  ASSERT_TRUE(StepUntil([&] { return Ready(b); }));
  ASSERT_TRUE(b.get().ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(next.sm.Get("a" + std::to_string(i)), "1");
}

TEST_F(EngineFixtureTest, AddVoterRemoveServerAndTransferLeadership) {
  StartCluster(3);
  Grow();
  ASSERT_EQ(raft_start(raft_fixture_get(&f_, 3)), 0);  // empty: waits to be added
  TestServer& leader = *servers_[LeaderIndex()];
  for (int i = 0; i < 10; ++i) Propose(leader, "put pre" + std::to_string(i) + " x");

  auto add = Control(
      [&](std::promise<Status> p) { leader.engine.AddVoter(RaftId(4), "4", std::move(p)); });
  ASSERT_TRUE(StepUntil([&] { return Ready(add); }, 30000));
  ASSERT_TRUE(add.get().ok());
  std::vector<Server> conf = leader.engine.Configuration();
  ASSERT_TRUE(StepUntil([&] {
    conf = leader.engine.Configuration();
    return conf.size() == 4;
  }));
  EXPECT_EQ(conf[3].id, RaftId(4));
  EXPECT_EQ(conf[3].role, Role::kVoter);
  ASSERT_TRUE(StepUntil([&] { return servers_[3]->sm.Size() == 10; }));

  // Idempotent for the same server; refused for a clashing id/address.
  auto again = Control(
      [&](std::promise<Status> p) { leader.engine.AddVoter(RaftId(4), "4", std::move(p)); });
  EXPECT_TRUE(again.get().ok());
  auto clash = Control(
      [&](std::promise<Status> p) { leader.engine.AddVoter(RaftId(4), "9", std::move(p)); });
  EXPECT_EQ(clash.get().code(), StatusCode::kAlreadyExists);

  const unsigned l = LeaderIndex();
  const unsigned target = (l + 1) % 3;
  auto transfer = Control([&](std::promise<Status> p) {
    leader.engine.TransferLeadership(RaftId(target + 1), std::move(p));
  });
  ASSERT_TRUE(StepUntil([&] { return Ready(transfer); }));
  ASSERT_TRUE(transfer.get().ok());
  ASSERT_TRUE(StepUntil([&] { return LeaderIndex() == target; }));
  TestServer& now = *servers_[target];
  ASSERT_TRUE(StepUntil([&] { return now.engine.IsLeader(); }));

  auto remove =
      Control([&](std::promise<Status> p) { now.engine.RemoveServer(RaftId(4), std::move(p)); });
  ASSERT_TRUE(StepUntil([&] { return Ready(remove); }));
  const Status removed = remove.get();
  ASSERT_TRUE(removed.ok()) << removed.ToString();
  ASSERT_TRUE(StepUntil([&] { return now.engine.Configuration().size() == 3; }));
  auto missing =
      Control([&](std::promise<Status> p) { now.engine.RemoveServer(RaftId(4), std::move(p)); });
  EXPECT_EQ(missing.get().code(), StatusCode::kNotFound);
}

TEST_F(EngineFixtureTest, LaggingFollowerIsRestoredFromChunkedSnapshot) {
  Options o;
  o.snapshot_threshold = 8;
  o.snapshot_trailing = 2;
  o.max_batch_commands = 4;
  StartCluster(3, o);
  const unsigned l = LeaderIndex();
  const unsigned lagging = (l + 1) % 3;
  raft_fixture_kill(&f_, lagging);
  TestServer& leader = *servers_[l];
  std::vector<std::future<Result<Applied>>> fs;
  for (int i = 0; i < 200; ++i) fs.push_back(Propose(leader, "put k" + std::to_string(i) + " v"));
  ASSERT_TRUE(StepUntil([&] { return Ready(fs.back()); }, 60000));
  for (auto& f : fs) ASSERT_TRUE(f.get().ok());
  ASSERT_TRUE(StepUntil([&] { return leader.engine.adapter().snapshots_taken() > 0; }));
  EXPECT_GT(leader.engine.Info().snapshot_index.value(), 0u);

  raft_fixture_revive(&f_, lagging);
  TestServer& back = *servers_[lagging];
  ASSERT_TRUE(StepUntil([&] { return back.sm.Size() == 200; }, 60000));
  EXPECT_GE(back.sm.restores(), 1u);
  EXPECT_EQ(back.sm.Contents(), leader.sm.Contents());
  EXPECT_EQ(back.sm.order_violations(), 0u);
}

TEST_F(EngineFixtureTest, FailedDiskWriteStopsTakingWork) {
  StartCluster(3);
  const unsigned l = LeaderIndex();
  TestServer& leader = *servers_[l];
  raft_fixture_io_fault(&f_, l, 0, 1);  // the next I/O request fails
  auto f = Propose(leader, "put x 1");
  leader.engine.Tick();
  ASSERT_TRUE(StepUntil([&] { return Ready(f); }));
  EXPECT_FALSE(f.get().ok());
  ASSERT_EQ(leader.fatal.size(), 1u);
  EXPECT_FALSE(leader.engine.fatal().ok());
  auto g = Propose(leader, "put y 1");
  leader.engine.Tick();
  EXPECT_EQ(g.get().status().code(), StatusCode::kUnavailable);
}

TEST_F(EngineFixtureTest, ShutdownCompletesEveryFutureOnce) {
  Options o;
  o.max_inflight_batches = 1;
  o.max_batch_commands = 2;
  StartCluster(3, o);
  TestServer& leader = *servers_[LeaderIndex()];
  std::vector<std::future<Result<Applied>>> fs;
  for (int i = 0; i < 6; ++i) fs.push_back(Propose(leader, "put s" + std::to_string(i) + " 1"));
  leader.engine.Tick();  // one entry in flight, four staged
  EXPECT_EQ(leader.engine.inflight_batches(), 1u);
  EXPECT_EQ(leader.engine.staged_proposals(), 4u);
  leader.engine.BeginShutdown();
  int cancelled = 0;
  for (std::size_t i = 2; i < fs.size(); ++i) {
    ASSERT_TRUE(Ready(fs[i]));
    cancelled += fs[i].get().status().code() == StatusCode::kCancelled;
  }
  EXPECT_EQ(cancelled, 4);
  // The in-flight entry completes when the fixture closes (TearDown): OK if
  // the flush committed it, kOutcomeUnknown otherwise -- never twice.
  auto late = Propose(leader, "put late 1");
  leader.engine.Tick();
  EXPECT_EQ(late.get().status().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace ckron::raft::internal
