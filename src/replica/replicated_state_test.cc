#include "replica/replicated_state.h"

#include <gtest/gtest.h>

namespace ckron::replica {
namespace {

absl::Time At(std::int64_t s) {
  return absl::FromUnixSeconds(1'767'225'600 + s);
}

fsm::Job MakeJob(const std::string& name) {
  fsm::Job j;
  j.name = name;
  j.schedule = "@every 1m";
  return j;
}

class RecordingSink final : public EventSink {
 public:
  void OnEvents(LogIndex index, const std::vector<fsm::Event>& events) override {
    for (const auto& e : events) seen.emplace_back(index.value(), e.index());
    ++calls;
  }
  void OnRestored(LogIndex index) override { restored_at = index.value(); }
  std::vector<std::pair<std::uint64_t, std::size_t>> seen;  // (index, event type)
  std::uint64_t restored_at = 0;
  int calls = 0;  // OnEvents calls
};

class Chunks final : public raft::SnapshotSink, public raft::SnapshotReader {
 public:
  Status Write(std::string_view chunk) override {
    chunks.emplace_back(chunk);
    return OkStatus();
  }
  bool Next(std::string_view* chunk) override {
    if (next_ >= chunks.size()) return false;
    *chunk = chunks[next_++];
    return true;
  }
  std::vector<std::string> chunks;

 private:
  std::size_t next_ = 0;
};

raft::ApplyContext Ctx(std::uint64_t index) {
  return {LogIndex(index), Term(1), 0, 1};
}

TEST(ReplicatedState, AppliesEncodedCommandsAndReportsOutcomes) {
  fsm::MemoryExecutionStore store;
  ReplicatedState rs(&store);
  RecordingSink sink;
  rs.AddSink(&sink);
  // The outcome is handed over in memory, not encoded.
  raft::ApplyOutput out = rs.Apply(Ctx(1), EncodeCommand(At(0), fsm::PutJob{MakeJob("a")}));
  EXPECT_TRUE(out.bytes.empty());
  fsm::Outcome created = OutcomeOf(out);
  ASSERT_TRUE(created.status.ok());
  EXPECT_EQ(created.job->name, "a");
  fsm::Outcome refused = OutcomeOf(rs.Apply(Ctx(2), EncodeCommand(At(1), fsm::DeleteJob{"nope"})));
  EXPECT_EQ(refused.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(rs.applied(), LogIndex(2));
  // A fire's proposer reads only the status: no job in its outcome.
  fsm::Outcome fired = OutcomeOf(
      rs.Apply(Ctx(3), EncodeCommand(At(2), fsm::RecordFire{"a", At(2), 1, false, {"n1"}})));
  ASSERT_TRUE(fired.status.ok());
  EXPECT_EQ(fired.job, nullptr);
  EXPECT_EQ(rs.Read([](const fsm::State& s) { return s.jobs().size(); }), 1u);
  ASSERT_EQ(sink.seen.size(), 3u);  // refused commands produce no events; a fire two
  EXPECT_EQ(sink.seen[0].first, 1u);
  EXPECT_EQ(sink.seen[1].first, 3u);
}

// A proposer on another server gets the outcome as bytes (Cluster.Propose
// encodes it); OutcomeOf reads either form.
TEST(ReplicatedState, OutcomesTravelEncodedAndReadTheSameEitherWay) {
  fsm::MemoryExecutionStore store;
  ReplicatedState rs(&store);
  raft::ApplyOutput out = rs.Apply(Ctx(1), EncodeCommand(At(0), fsm::PutJob{MakeJob("a")}));
  raft::Applied local{LogIndex(1), std::move(out.bytes), std::move(out.object)};
  const fsm::Outcome in_memory = OutcomeOf(local);
  const std::string bytes = EncodedOutcomeOf(std::move(local));
  ASSERT_FALSE(bytes.empty());
  const raft::Applied remote{LogIndex(1), bytes, {}};
  const fsm::Outcome decoded = OutcomeOf(remote);
  ASSERT_TRUE(decoded.status.ok());
  ASSERT_NE(decoded.job, nullptr);
  EXPECT_EQ(fsm::EncodeJob(*decoded.job), fsm::EncodeJob(*in_memory.job));
  // Bytes pass through unchanged.
  EXPECT_EQ(EncodedOutcomeOf(raft::Applied{LogIndex(1), bytes, {}}), bytes);
  // A refusal keeps its code and message.
  raft::ApplyOutput refused = rs.Apply(Ctx(2), EncodeCommand(At(1), fsm::DeleteJob{"nope"}));
  const std::string refused_bytes = EncodedOutcomeOf(
      raft::Applied{LogIndex(2), std::move(refused.bytes), std::move(refused.object)});
  const fsm::Outcome r = OutcomeOf(raft::Applied{LogIndex(2), refused_bytes, {}});
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status.message(), "job \"nope\" not found");
}

TEST(ReplicatedState, SinksHearAnEntrysEventsOnceAfterItsLastCommand) {
  fsm::MemoryExecutionStore store;
  ReplicatedState rs(&store);
  RecordingSink sink;
  rs.AddSink(&sink);
  // One entry of three commands: a put, a refused delete, a put.
  const std::vector<std::string> commands = {
      EncodeCommand(At(0), fsm::PutJob{MakeJob("a")}),
      EncodeCommand(At(0), fsm::DeleteJob{"nope"}),
      EncodeCommand(At(0), fsm::PutJob{MakeJob("b")}),
  };
  for (std::uint32_t i = 0; i < commands.size(); ++i) {
    rs.Apply({LogIndex(7), Term(1), i, 3}, commands[i]);
    // The state changes command by command; the sinks hear nothing until
    // the entry ends.
    EXPECT_EQ(rs.Read([](const fsm::State& s) { return s.jobs().size(); }), i < 2 ? 1u : 2u);
    if (i < 2) {
      EXPECT_EQ(sink.calls, 0) << i;
    }
  }
  EXPECT_EQ(sink.calls, 1);
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[0].first, 7u);
  EXPECT_EQ(sink.seen[1].first, 7u);
  // The next entry's events are its own.
  rs.Apply(Ctx(8), EncodeCommand(At(1), fsm::DeleteJob{"a"}));
  EXPECT_EQ(sink.calls, 2);
  ASSERT_EQ(sink.seen.size(), 3u);
  EXPECT_EQ(sink.seen[2].first, 8u);
}

TEST(ReplicatedState, SnapshotRestoresOnAnotherReplica) {
  fsm::MemoryExecutionStore store;
  ReplicatedState rs(&store);
  std::uint64_t index = 0;
  for (const char* name : {"a", "b", "c"}) {
    rs.Apply(Ctx(++index), EncodeCommand(At(0), fsm::PutJob{MakeJob(name)}));
  }
  fsm::Execution e;
  e.job_name = "b";
  e.node_name = "n1";
  e.started_at = At(5);
  e.id = fsm::ExecutionKey(e.started_at, "n1");
  rs.Apply(Ctx(++index), EncodeCommand(At(5), fsm::ExecutionStarted{e, At(60)}));

  auto source = rs.PrepareSnapshot(LogIndex(index));
  ASSERT_TRUE(source.ok());
  // Later applies do not leak into the prepared snapshot.
  rs.Apply(Ctx(++index), EncodeCommand(At(6), fsm::PutJob{MakeJob("d")}));
  Chunks chunks;
  ASSERT_TRUE((*source)->WriteTo(chunks).ok());

  fsm::MemoryExecutionStore store2;
  ReplicatedState replica(&store2);
  RecordingSink sink;
  replica.AddSink(&sink);
  ASSERT_TRUE(replica.Restore(LogIndex(4), chunks).ok());
  EXPECT_EQ(sink.restored_at, 4u);
  EXPECT_EQ(replica.applied(), LogIndex(4));
  EXPECT_EQ(replica.Read([](const fsm::State& s) { return s.jobs().size(); }), 3u);
  EXPECT_EQ(replica.Read([](const fsm::State& s) { return s.RunningCount("b"); }), 1u);
}

TEST(ReplicatedState, AnUnreadableSnapshotLeavesTheStateAlone) {
  fsm::MemoryExecutionStore store;
  ReplicatedState rs(&store);
  rs.Apply(Ctx(1), EncodeCommand(At(0), fsm::PutJob{MakeJob("a")}));
  Chunks garbage;
  garbage.chunks = {"\x03xyz"};
  EXPECT_FALSE(rs.Restore(LogIndex(9), garbage).ok());
  EXPECT_EQ(rs.Read([](const fsm::State& s) { return s.jobs().size(); }), 1u);
  EXPECT_EQ(rs.applied(), LogIndex(1));
}

}  // namespace
}  // namespace ckron::replica
