// The dispatcher against a real ReplicatedState, driven by a proposer that
// applies synchronously (and, in one test, by a real single-node Raft), with
// a fake agent: a real in-process gRPC server implementing AgentRunner on
// 127.0.0.1. Deadlines are generous; nothing asserts on timing.
#include "dispatcher/dispatcher.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "ckron/v1/run.grpc.pb.h"
#include "dispatcher/raft_proposer.h"
#include "fsm/codec.h"
#include "raft/raft.h"
#include "raft/testing/test_env.h"
#include "rpc/server.h"

namespace ckron::dispatcher {
namespace {

using namespace std::chrono_literals;
using raft::testing::WaitFor;

const absl::Time kT0 = absl::FromUnixSeconds(1'767'225'600);

// --- Fakes ------------------------------------------------------------------

// Applies each proposal at once to the ReplicatedState, as Raft would after
// committing it, and hands the events to the dispatcher.
class SyncProposer final : public Proposer, public replica::EventSink {
 public:
  explicit SyncProposer(replica::ReplicatedState* state) : state_(state) { state_->AddSink(this); }
  void Propose(absl::Time now, fsm::Command command, Done done) override {
    Status s;
    {
      std::lock_guard lock(mu_);
      ++proposals_;
      if (std::holds_alternative<fsm::ExecutionStarted>(command)) ++started_proposals_;
      if (!leading_) {
        s = Status::NotLeader("", "not leader");
      } else if (refuse_ > 0) {
        --refuse_;  // Raft's proposal queue is full: nothing happened
        s = Status::ResourceExhausted("raft proposal queue is full");
      } else {
        s = replica::OutcomeOf(state_->Apply({LogIndex(++index_), Term(1), 0, 1},
                                             replica::EncodeCommand(now, std::move(command))))
                .status;
      }
    }
    done(s);
  }
  bool Leads(Term term) const override {
    std::lock_guard lock(mu_);
    return leading_ && term == Term(1);
  }
  void OnEvents(LogIndex, const std::vector<fsm::Event>& events) override {
    if (Dispatcher* d = target_.load()) d->OnEvents(events);
  }
  void OnRestored(LogIndex) override {}

  void set_target(Dispatcher* d) { target_ = d; }
  void set_leading(bool leading) {
    std::lock_guard lock(mu_);
    leading_ = leading;
  }
  // The next `n` proposals are refused as by a full Raft queue.
  void Refuse(int n) {
    std::lock_guard lock(mu_);
    refuse_ = n;
  }
  std::uint64_t proposals() const {
    std::lock_guard lock(mu_);
    return proposals_;
  }
  std::uint64_t started_proposals() const {
    std::lock_guard lock(mu_);
    return started_proposals_;
  }

 private:
  replica::ReplicatedState* const state_;
  std::atomic<Dispatcher*> target_{nullptr};
  mutable std::mutex mu_;  // serializes applies, as Raft's loop does
  std::uint64_t index_ = 0;
  std::uint64_t proposals_ = 0;
  std::uint64_t started_proposals_ = 0;  // ExecutionStarted among them
  bool leading_ = true;
  int refuse_ = 0;
};

class FakeMembers final : public MemberView {
 public:
  std::vector<Candidate> Alive(const std::string&) const override {
    std::lock_guard lock(mu_);
    return members_;
  }
  void Set(std::vector<Candidate> m) {
    std::lock_guard lock(mu_);
    members_ = std::move(m);
  }

 private:
  mutable std::mutex mu_;
  std::vector<Candidate> members_;
};

Candidate Member(const std::string& name, const std::string& rpc_addr) {
  return Candidate{name, {{"region", "global"}, {"rpc_addr", rpc_addr}}};
}

// The agent side: records every request; Run answers `started`, an output
// chunk, then keeps the stream open until the caller cancels it.
class FakeAgent final : public ckron::v1::AgentRunner::Service {
 public:
  grpc::Status Run(grpc::ServerContext* context, const ckron::v1::RunRequest* request,
                   grpc::ServerWriter<ckron::v1::RunEvent>* writer) override {
    {
      std::lock_guard lock(mu_);
      runs_.push_back(*request);
    }
    ckron::v1::RunEvent started;
    started.mutable_started()->set_started_at_ns(absl::ToUnixNanos(absl::Now()));
    writer->Write(started);
    ckron::v1::RunEvent output;
    output.set_output("hello from " + request->execution_id());
    writer->Write(output);
    while (!context->IsCancelled()) std::this_thread::sleep_for(10ms);
    std::lock_guard lock(mu_);
    ++streams_cancelled_;
    return grpc::Status::CANCELLED;
  }
  grpc::Status Cancel(grpc::ServerContext*, const ckron::v1::CancelRequest* request,
                      ckron::v1::CancelResponse*) override {
    std::lock_guard lock(mu_);
    cancels_.push_back(request->execution_id());
    return grpc::Status::OK;
  }
  std::vector<std::string> RunIds() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (const auto& r : runs_) ids.push_back(r.job().name() + "/" + r.execution_id());
    return ids;
  }
  std::vector<ckron::v1::RunRequest> Runs() const {
    std::lock_guard lock(mu_);
    return runs_;
  }
  std::vector<std::string> Cancels() const {
    std::lock_guard lock(mu_);
    return cancels_;
  }
  int streams_cancelled() const {
    std::lock_guard lock(mu_);
    return streams_cancelled_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<ckron::v1::RunRequest> runs_;
  std::vector<std::string> cancels_;
  int streams_cancelled_ = 0;
};

fsm::Job MakeJob(const std::string& name) {
  fsm::Job j;
  j.name = name;
  j.schedule = "@every 1m";
  j.executor = "shell";
  j.executor_config = {{"command", "true"}};
  return j;
}

// --- Fixture ----------------------------------------------------------------

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = rpc::RpcServer::Start({.address = "127.0.0.1:0"}, {&agent_});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
    members_.Set({Member("n1", server_->address()), Member("n2", server_->address())});
  }
  void TearDown() override {
    if (dispatcher_) dispatcher_->Stop();
    proposer_.set_target(nullptr);
    dispatcher_.reset();
    server_.reset();
  }

  void StartDispatcher(DispatcherOptions o = {}) {
    o.region = "global";
    o.max_sleep = absl::Milliseconds(50);
    o.seed = 1;
    dispatcher_ =
        std::make_unique<Dispatcher>(o, &state_, &proposer_, &members_, &SystemClock::Get());
    proposer_.set_target(dispatcher_.get());
    dispatcher_->Start(Term(1));
  }

  Status Put(const fsm::Job& job) {
    Status result;
    proposer_.Propose(absl::Now(), fsm::PutJob{job}, [&](const Status& s) { result = s; });
    return result;
  }
  Status Finish(const std::string& job, const std::string& id, bool success) {
    auto stored = state_.Read([&](const fsm::State& s) { return s.executions().Get(job, id); });
    if (!stored) return Status::NotFound(id);
    fsm::Execution e = *stored;
    e.finished_at = absl::Now();
    e.success = success;
    Status result;
    proposer_.Propose(absl::Now(), fsm::ExecutionFinished{e}, [&](const Status& s) { result = s; });
    return result;
  }
  std::size_t Running(const std::string& job) {
    return state_.Read([&](const fsm::State& s) { return s.RunningCount(job); });
  }
  std::optional<fsm::Execution> Stored(const std::string& job, const std::string& id) {
    auto e = state_.Read([&](const fsm::State& s) { return s.executions().Get(job, id); });
    if (!e) return std::nullopt;
    return *e;
  }
  bool HasRun(const std::string& job, const std::string& id) {
    for (const std::string& r : agent_.RunIds()) {
      if (r == job + "/" + id) return true;
    }
    return false;
  }

  fsm::MemoryExecutionStore store_;
  replica::ReplicatedState state_{&store_};
  SyncProposer proposer_{&state_};
  FakeMembers members_;
  FakeAgent agent_;
  std::unique_ptr<rpc::RpcServer> server_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

// --- Tests ------------------------------------------------------------------

TEST_F(DispatcherTest, Fire_RecordedOnceAndDispatchedToEachTargetWithRunIds) {
  ASSERT_TRUE(Put(MakeJob("a")).ok());
  StartDispatcher();
  const absl::Time t = kT0 + absl::Minutes(1);
  dispatcher_->OnFires({{"a", t}});
  dispatcher_->OnFires({{"a", t}});  // the same fire again: refused, no second run
  const std::int64_t g = absl::ToUnixNanos(t);
  const std::string id1 = fsm::RunExecutionId(g, 1, "n1"), id2 = fsm::RunExecutionId(g, 1, "n2");
  ASSERT_TRUE(WaitFor([&] { return Running("a") == 2; }, 30s));
  EXPECT_TRUE(HasRun("a", id1));
  EXPECT_TRUE(HasRun("a", id2));
  EXPECT_TRUE(Stored("a", id1)->running());
  for (const auto& r : agent_.Runs()) {
    EXPECT_EQ(r.group(), g);
    EXPECT_EQ(r.attempt(), 1u);
    EXPECT_EQ(r.term(), 1u);
    EXPECT_EQ(r.job().executor(), "shell");
  }
  EXPECT_EQ(dispatcher_->stats().fires_recorded, 1u);
  EXPECT_EQ(agent_.Runs().size(), 2u);
  // The streamed output is visible while the execution runs.
  ASSERT_TRUE(WaitFor(
      [&] {
        return dispatcher_->LiveOutputOf("a", id1).has_value() &&
               !dispatcher_->LiveOutputOf("a", id1)->empty();
      },
      30s));
  EXPECT_EQ(*dispatcher_->LiveOutputOf("a", id1), "hello from " + id1);
}

// Found by tests/sim: a fire refused by Raft's back-pressure was lost.
TEST_F(DispatcherTest, RefusedRecordFire_IsProposedAgainInOrder) {
  ASSERT_TRUE(Put(MakeJob("a")).ok());
  StartDispatcher();
  const absl::Time t1 = kT0 + absl::Minutes(1), t2 = kT0 + absl::Minutes(2);
  proposer_.Refuse(1);  // the first fire's first proposal
  dispatcher_->OnFires({{"a", t1}, {"a", t2}});
  EXPECT_EQ(dispatcher_->stats().fires_recorded, 2u);
  // Both are recorded: t2 waited for t1, which would otherwise be refused
  // as older than the last recorded fire.
  const std::int64_t g1 = absl::ToUnixNanos(t1), g2 = absl::ToUnixNanos(t2);
  ASSERT_TRUE(WaitFor([&] { return Running("a") == 4; }, 30s));
  EXPECT_TRUE(Stored("a", fsm::RunExecutionId(g1, 1, "n1")).has_value());
  EXPECT_TRUE(Stored("a", fsm::RunExecutionId(g2, 1, "n2")).has_value());
}

TEST_F(DispatcherTest, Forbid_SkipsWhileRunning) {
  fsm::Job job = MakeJob("f");
  job.concurrency = "forbid";
  job.tags = {{"region", "global:1"}};  // one node
  ASSERT_TRUE(Put(job).ok());
  StartDispatcher();
  dispatcher_->OnFires({{"f", kT0 + absl::Minutes(1)}});
  ASSERT_TRUE(WaitFor([&] { return Running("f") == 1; }, 30s));
  dispatcher_->OnFires({{"f", kT0 + absl::Minutes(2)}});
  EXPECT_EQ(dispatcher_->stats().fires_skipped, 1u);
  EXPECT_EQ(dispatcher_->stats().fires_recorded, 1u);
  EXPECT_EQ(dispatcher_->RunNow("f", false, absl::Now() + absl::Seconds(30)).code(),
            StatusCode::kFailedPrecondition);
  // Forced, it runs anyway.
  EXPECT_TRUE(dispatcher_->RunNow("f", true, absl::Now() + absl::Seconds(30)).ok());
  ASSERT_TRUE(WaitFor([&] { return Running("f") == 2; }, 30s));
}

TEST_F(DispatcherTest, Replace_CancelsTheRunningExecutionThenFires) {
  fsm::Job job = MakeJob("r");
  job.concurrency = "replace";
  job.tags = {{"region", "global:1"}};
  ASSERT_TRUE(Put(job).ok());
  StartDispatcher();
  const absl::Time t1 = kT0 + absl::Minutes(1), t2 = kT0 + absl::Minutes(2);
  dispatcher_->OnFires({{"r", t1}});
  ASSERT_TRUE(WaitFor([&] { return Running("r") == 1; }, 30s));
  const std::string first = agent_.Runs().at(0).execution_id();
  dispatcher_->OnFires({{"r", t2}});
  ASSERT_TRUE(WaitFor([&] { return agent_.Cancels().size() == 1; }, 30s));
  EXPECT_EQ(agent_.Cancels()[0], first);
  ASSERT_TRUE(WaitFor([&] { return agent_.Runs().size() == 2; }, 30s));
  EXPECT_EQ(agent_.Runs()[1].group(), absl::ToUnixNanos(t2));
}

// start_record_delay: a run whose result is committed within the delay is
// never recorded as running; one still going then is.
TEST_F(DispatcherTest, StartRecordDelay_OnlyRunsStillGoingAreRecordedRunning) {
  ASSERT_TRUE(Put(MakeJob("a")).ok());
  StartDispatcher({.start_record_delay = absl::Milliseconds(300)});
  const absl::Time t = kT0 + absl::Minutes(1);
  const std::int64_t g = absl::ToUnixNanos(t);
  const std::string id1 = fsm::RunExecutionId(g, 1, "n1"), id2 = fsm::RunExecutionId(g, 1, "n2");
  dispatcher_->OnFires({{"a", t}});
  // The output follows `started` on each stream.
  ASSERT_TRUE(WaitFor([&] { return dispatcher_->LiveOutputOf("a", id1).value_or("") != ""; }, 30s));
  ASSERT_TRUE(WaitFor([&] { return dispatcher_->LiveOutputOf("a", id2).value_or("") != ""; }, 30s));
  fsm::Execution e;  // n1's result, as Executions.Report commits it
  e.job_name = "a";
  e.id = id1;
  e.node_name = "n1";
  e.group = g;
  e.attempt = 1;
  e.started_at = absl::Now();
  e.finished_at = absl::Now();
  e.success = true;
  Status finished;
  proposer_.Propose(absl::Now(), fsm::ExecutionFinished{e}, [&](const Status& s) { finished = s; });
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  ASSERT_TRUE(WaitFor([&] { return Running("a") == 1; }, 30s));  // n2's, after the delay
  EXPECT_TRUE(Stored("a", id2)->running());
  std::this_thread::sleep_for(1s);  // n1's record timer has long passed
  EXPECT_EQ(proposer_.started_proposals(), 1u);
  EXPECT_FALSE(Stored("a", id1)->running());
  EXPECT_EQ(Running("a"), 1u);
  EXPECT_EQ(agent_.Runs().size(), 2u);  // nothing dispatched again
}

TEST_F(DispatcherTest, StartRecordDelay_ReplaceJobsAreRecordedAtOnce) {
  fsm::Job replace = MakeJob("r");
  replace.concurrency = "replace";
  ASSERT_TRUE(Put(replace).ok());
  ASSERT_TRUE(Put(MakeJob("a")).ok());
  StartDispatcher({.start_record_delay = absl::Hours(1)});
  dispatcher_->OnFires({{"r", kT0 + absl::Minutes(1)}, {"a", kT0 + absl::Minutes(1)}});
  // `replace` must find a running execution to cancel it.
  ASSERT_TRUE(WaitFor([&] { return Running("r") == 2; }, 30s));
  ASSERT_TRUE(WaitFor([&] { return agent_.Runs().size() == 4; }, 30s));
  EXPECT_EQ(Running("a"), 0u);
  EXPECT_EQ(proposer_.started_proposals(), 2u);
}

TEST_F(DispatcherTest, UnreachableTarget_FailsTheRunAndTheRetryIsPending) {
  members_.Set({Member("n1", "127.0.0.1:1")});  // nothing listens there
  fsm::Job job = MakeJob("u");
  job.retries = 1;
  job.retry_backoff = absl::Hours(1);  // the retry stays pending
  ASSERT_TRUE(Put(job).ok());
  DispatcherOptions o;
  o.dispatch_retry_interval = absl::Milliseconds(50);
  o.dispatch_attempts = 2;
  o.dispatch_timeout = absl::Seconds(20);
  StartDispatcher(o);
  const absl::Time t = kT0 + absl::Minutes(1);
  dispatcher_->OnFires({{"u", t}});
  const std::string id = fsm::RunExecutionId(absl::ToUnixNanos(t), 1, "n1");
  ASSERT_TRUE(WaitFor([&] { return Stored("u", id).has_value(); }, 60s));
  const fsm::Execution e = *Stored("u", id);
  EXPECT_FALSE(e.success);
  EXPECT_FALSE(e.running());
  EXPECT_NE(e.output.find("node n1"), std::string::npos) << e.output;
  EXPECT_EQ(e.node_name, "n1");
  const bool retry_pending = state_.Read([&](const fsm::State& s) {
    return s.pending_runs().contains(fsm::RunKey{"u", absl::ToUnixNanos(t), "n1", 2});
  });
  EXPECT_TRUE(retry_pending);
  EXPECT_EQ(dispatcher_->stats().runs_failed, 1u);
}

TEST_F(DispatcherTest, LeaseExpiry_FinishesTheRunningExecutionAsFailed) {
  fsm::Job job = MakeJob("l");
  job.tags = {{"region", "global:1"}};
  ASSERT_TRUE(Put(job).ok());
  DispatcherOptions o;
  o.lease = absl::Milliseconds(300);  // the fake agent never renews
  StartDispatcher(o);
  const absl::Time t = kT0 + absl::Minutes(1);
  dispatcher_->OnFires({{"l", t}});
  ASSERT_TRUE(WaitFor([&] { return agent_.Runs().size() == 1; }, 30s));
  const std::string id = agent_.Runs()[0].execution_id();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto e = Stored("l", id);
        return e && !e->running();
      },
      60s));
  const fsm::Execution e = *Stored("l", id);
  EXPECT_FALSE(e.success);
  EXPECT_NE(e.output.find("execution lost: node"), std::string::npos) << e.output;
  EXPECT_EQ(Running("l"), 0u);
}

TEST_F(DispatcherTest, FirePending_FiresTheDependentJob) {
  fsm::Job parent = MakeJob("p");
  parent.tags = {{"region", "global:1"}};
  fsm::Job child = MakeJob("c");
  child.schedule = "";
  child.parent_job = "p";
  child.tags = {{"region", "global:1"}};
  ASSERT_TRUE(Put(parent).ok());
  ASSERT_TRUE(Put(child).ok());
  members_.Set({Member("n1", server_->address())});
  StartDispatcher();
  const absl::Time t = kT0 + absl::Minutes(1);
  const std::int64_t g = absl::ToUnixNanos(t);
  dispatcher_->OnFires({{"p", t}});
  ASSERT_TRUE(WaitFor([&] { return Running("p") == 1; }, 30s));
  const std::string pid = agent_.Runs().at(0).execution_id();
  // The agent's report (Executions.Report commits this on the leader).
  ASSERT_TRUE(Finish("p", pid, true).ok());
  ASSERT_TRUE(WaitFor([&] { return Running("c") == 1; }, 30s));
  const auto runs = agent_.Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].job().name(), "c");
  EXPECT_EQ(runs[1].group(), g);
  EXPECT_EQ(runs[1].execution_id(), fsm::RunExecutionId(g, 1, "n1"));
  EXPECT_TRUE(state_.Read([](const fsm::State& s) { return s.pending_fires().empty(); }));
}

TEST_F(DispatcherTest, FirePending_ADisabledChildIsDroppedNotRun) {
  fsm::Job parent = MakeJob("p2");
  parent.tags = {{"region", "global:1"}};
  fsm::Job child = MakeJob("c2");
  child.schedule = "";
  child.parent_job = "p2";
  child.disabled = true;
  child.tags = {{"region", "global:1"}};
  ASSERT_TRUE(Put(parent).ok());
  ASSERT_TRUE(Put(child).ok());
  members_.Set({Member("n1", server_->address())});
  StartDispatcher();
  dispatcher_->OnFires({{"p2", kT0 + absl::Minutes(1)}});
  ASSERT_TRUE(WaitFor([&] { return Running("p2") == 1; }, 30s));
  ASSERT_TRUE(Finish("p2", agent_.Runs().at(0).execution_id(), true).ok());
  // The pending fire is settled by SkipFire: gone from the state, not run.
  ASSERT_TRUE(WaitFor(
      [&] { return state_.Read([](const fsm::State& s) { return s.pending_fires().empty(); }); },
      30s));
  EXPECT_EQ(dispatcher_->stats().fires_skipped, 1u);
  EXPECT_EQ(agent_.Runs().size(), 1u);
  EXPECT_EQ(Running("c2"), 0u);
}

TEST_F(DispatcherTest, AfterStop_NothingMoreIsSent) {
  fsm::Job job = MakeJob("s");
  job.tags = {{"region", "global:1"}};
  ASSERT_TRUE(Put(job).ok());
  StartDispatcher();
  dispatcher_->OnFires({{"s", kT0 + absl::Minutes(1)}});
  ASSERT_TRUE(WaitFor([&] { return Running("s") == 1; }, 30s));
  dispatcher_->Stop();  // RevokeLeadership
  // Stop closed the open stream (the execution itself goes on at the agent).
  ASSERT_TRUE(WaitFor([&] { return agent_.streams_cancelled() == 1; }, 30s));
  EXPECT_FALSE(dispatcher_->LiveOutputOf("s", agent_.Runs()[0].execution_id()).has_value());
  const std::uint64_t proposals = proposer_.proposals();
  dispatcher_->OnFires({{"s", kT0 + absl::Minutes(2)}});
  EXPECT_EQ(dispatcher_->RunNow("s", true, absl::Now() + absl::Seconds(5)).code(),
            StatusCode::kNotLeader);
  EXPECT_EQ(proposer_.proposals(), proposals);
  EXPECT_EQ(agent_.Runs().size(), 1u);
}

TEST_F(DispatcherTest, DeposedLeader_DoesNotDispatchPendingRuns) {
  fsm::Job job = MakeJob("d");
  ASSERT_TRUE(Put(job).ok());
  // A pending run recorded by an earlier term.
  Status recorded;
  proposer_.Propose(absl::Now(),
                    fsm::RecordFire{"d", kT0, absl::ToUnixNanos(kT0), false, {"n1"}, 0},
                    [&](const Status& s) { recorded = s; });
  ASSERT_TRUE(recorded.ok());
  proposer_.set_leading(false);  // lost leadership before the revoke arrived
  StartDispatcher();
  dispatcher_->OnFires({{"d", kT0 + absl::Minutes(1)}});
  std::this_thread::sleep_for(300ms);  // give it every chance to misbehave
  EXPECT_TRUE(agent_.Runs().empty());
}

TEST_F(DispatcherTest, Establish_DispatchesRunsPendingInTheState) {
  Status recorded;
  ASSERT_TRUE(Put(MakeJob("e")).ok());
  proposer_.Propose(absl::Now(),
                    fsm::RecordFire{"e", kT0, absl::ToUnixNanos(kT0), false, {"n2"}, 0},
                    [&](const Status& s) { recorded = s; });
  ASSERT_TRUE(recorded.ok());
  StartDispatcher();  // a new leader finds the run pending and starts it
  ASSERT_TRUE(WaitFor([&] { return Running("e") == 1; }, 30s));
  EXPECT_TRUE(HasRun("e", fsm::RunExecutionId(absl::ToUnixNanos(kT0), 1, "n2")));
}

// --- On real Raft -----------------------------------------------------------

class LocalRaftView final : public rpc::LocalRaft {
 public:
  explicit LocalRaftView(raft::Node* n) : n_(n) {}
  RaftId id() const override { return n_->id(); }
  bool IsLeader() const override { return n_->IsLeader(); }
  std::optional<raft::LeaderInfo> Leader() const override { return n_->Leader(); }
  std::vector<raft::Server> Configuration() const override { return n_->Configuration(); }
  raft::NodeInfo Info() const override { return n_->Info(); }
  std::future<Result<raft::Applied>> Propose(std::string c) override {
    return n_->Propose(std::move(c));
  }
  void ProposeAsync(std::string c, std::function<void(Result<raft::Applied>)> done) override {
    n_->ProposeAsync(std::move(c), std::move(done));
  }
  std::future<Status> RemoveServer(RaftId id) override { return n_->RemoveServer(id); }

 private:
  raft::Node* n_;
};

// A Raft that holds every proposal until the test answers it.
class HeldRaft final : public rpc::LocalRaft {
 public:
  RaftId id() const override { return RaftId(1); }
  bool IsLeader() const override { return true; }
  std::optional<raft::LeaderInfo> Leader() const override { return std::nullopt; }
  std::vector<raft::Server> Configuration() const override { return {}; }
  raft::NodeInfo Info() const override { return {}; }
  std::future<Result<raft::Applied>> Propose(std::string) override {
    ADD_FAILURE() << "RaftProposer must not wait on a future";
    return {};
  }
  void ProposeAsync(std::string, std::function<void(Result<raft::Applied>)> done) override {
    std::lock_guard lock(mu_);
    held_.push_back(std::move(done));
  }
  std::future<Status> RemoveServer(RaftId) override { return {}; }

  std::size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  // Answers the oldest held proposal with `s`.
  void AnswerOne(const Status& s) {
    std::function<void(Result<raft::Applied>)> done;
    {
      std::lock_guard lock(mu_);
      done = std::move(held_.front());
      held_.pop_front();
    }
    done(s);
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void(Result<raft::Applied>)>> held_;
};

TEST(RaftProposer, BlocksAtItsBoundAndItsDestructorWaitsForEveryOutcome) {
  HeldRaft raft;
  std::atomic<int> answered{0};
  auto count = [&](const Status& s) {
    EXPECT_EQ(s.code(), StatusCode::kNotLeader);
    ++answered;
  };
  auto proposer = std::make_unique<RaftProposer>(&raft, RaftProposerOptions{.max_in_flight = 2});
  proposer->Propose(absl::Now(), fsm::DeleteJob{"a"}, count);
  proposer->Propose(absl::Now(), fsm::DeleteJob{"b"}, count);
  std::atomic<bool> third_in{false};
  std::thread third([&] {
    proposer->Propose(absl::Now(), fsm::DeleteJob{"c"}, count);
    third_in = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(third_in.load());  // two in flight: the third waits
  EXPECT_EQ(raft.held(), 2u);
  raft.AnswerOne(Status::NotLeader("", "deposed"));
  third.join();
  EXPECT_EQ(raft.held(), 2u);
  EXPECT_EQ(answered.load(), 1);

  std::atomic<bool> destroyed{false};
  std::thread destroy([&] {
    proposer.reset();
    destroyed = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(destroyed.load());  // two outcomes still out
  raft.AnswerOne(Status::NotLeader("", "deposed"));
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(destroyed.load());
  raft.AnswerOne(Status::NotLeader("", "deposed"));
  destroy.join();
  EXPECT_EQ(answered.load(), 3);
}

class ForwardingSink final : public replica::EventSink {
 public:
  void OnEvents(LogIndex, const std::vector<fsm::Event>& events) override {
    if (Dispatcher* d = target.load()) d->OnEvents(events);
  }
  void OnRestored(LogIndex) override {}
  std::atomic<Dispatcher*> target{nullptr};
};

TEST(DispatcherOnRaft, BurstOfFiresIsRecordedAndDispatched) {
  FakeAgent agent;
  auto server = rpc::RpcServer::Start({.address = "127.0.0.1:0"}, {&agent});
  ASSERT_TRUE(server.ok());
  FakeMembers members;
  members.Set({Member("n1", (*server)->address())});

  raft::testing::TempDir dir("ckron-dispatcher");
  fsm::MemoryExecutionStore store;
  replica::ReplicatedState state(&store);
  ForwardingSink sink;
  state.AddSink(&sink);
  raft::Options ro;
  ro.node_name = "solo";
  ro.address = "127.0.0.1:" + std::to_string(raft::testing::FreeTcpPort());
  ro.data_dir = dir.path();
  auto node = raft::Node::Create(ro, &state);
  ASSERT_TRUE(node.ok());
  ASSERT_TRUE((*node)->Bootstrap({{(*node)->id(), ro.address, raft::Role::kVoter}}).ok());
  ASSERT_TRUE((*node)->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return (*node)->IsLeader(); }, 30s));
  ASSERT_TRUE((*node)->Barrier().get().ok());
  const Term term = (*node)->Info().term;

  LocalRaftView view(node->get());
  {
    RaftProposer proposer(&view);
    constexpr int kJobs = 100;
    for (int i = 0; i < kJobs; ++i) {
      std::promise<Status> done;
      proposer.Propose(absl::Now(), fsm::PutJob{MakeJob("j" + std::to_string(i))},
                       [&](const Status& s) { done.set_value(s); });
      ASSERT_TRUE(done.get_future().get().ok());
    }
    DispatcherOptions o;
    o.region = "global";
    o.max_sleep = absl::Milliseconds(50);
    Dispatcher dispatcher(o, &state, &proposer, &members, &SystemClock::Get());
    sink.target = &dispatcher;
    dispatcher.Start(term);
    std::vector<scheduler::FireIntent> burst;
    for (int i = 0; i < kJobs; ++i) burst.push_back({"j" + std::to_string(i), kT0});
    dispatcher.OnFires(burst);  // one batch, proposed concurrently
    dispatcher.OnFires(burst);  // all refused: already recorded
    EXPECT_EQ(dispatcher.stats().fires_recorded, static_cast<std::uint64_t>(kJobs));
    ASSERT_TRUE(WaitFor(
        [&] {
          return state.Read([](const fsm::State& s) { return s.running().size(); }) ==
                 static_cast<std::size_t>(kJobs);
        },
        60s));
    EXPECT_EQ(agent.Runs().size(), static_cast<std::size_t>(kJobs));
    dispatcher.Stop();
    sink.target = nullptr;
  }
  (*node)->Stop();
}

}  // namespace
}  // namespace ckron::dispatcher
