#include "fsm/codec.h"

#include <gtest/gtest.h>

#include <random>

#include "fsm/apply.h"

namespace ckron::fsm {
namespace {

absl::Time At(std::int64_t seconds) {
  return absl::FromUnixSeconds(1'767'225'600 + seconds);
}

Execution Exec(const std::string& job, const std::string& node, absl::Time t, std::int64_t g) {
  Execution e;
  e.job_name = job;
  e.node_name = node;
  e.started_at = t;
  e.id = ExecutionKey(t, node);
  e.group = g;
  return e;
}

// One entry of every command type, with every field set.
std::vector<Entry> EveryCommand() {
  Job j;
  j.name = "job-1";
  j.displayname = "Job one";
  j.timezone = "Europe/London";
  j.schedule = "0 0 ~ * * *";
  j.owner = "ops";
  j.owner_email = "ops@example.com";
  j.success_count = 3;
  j.error_count = 4;
  j.last_success = At(1);
  j.last_error = At(2);
  j.disabled = true;
  j.tags = {{"role", "web:2"}};
  j.metadata = {{"team", "a"}};
  j.retries = 5;
  j.dependent_jobs = {"c1", "c2"};
  j.parent_job = "p";
  j.processors = {{"log", {{"forward", "true"}}}, {"files", {{"log_dir", "/tmp"}}}};
  j.concurrency = "forbid";
  j.executor = "shell";
  j.executor_config = {{"command", "echo hi"}};
  j.status = "success";
  j.next = At(3);
  j.next_known = true;
  j.ephemeral = true;
  j.starts_at = At(4);
  j.expires_at = At(5);
  j.schedule_anchor = At(6);
  j.last_fire = At(7);
  j.status_group = 8;
  j.misfire_policy = "run_all";
  j.retry_backoff = absl::Seconds(3);
  j.starting_deadline = absl::Seconds(90);
  Execution running = Exec("job-1", "n1", At(10), 99);
  running.attempt = 2;
  Execution done = running;
  done.finished_at = At(11);
  done.success = true;
  done.output = std::string("out\0put", 7);
  return {
      {At(100), PutJob{j}},
      {At(101), DeleteJob{"job-1"}},
      {At(102), SetJobDisabled{"job-1", true}},
      {At(103), DeleteExecutions{"job-1"}},
      {At(104), RecordFire{"job-1", At(50), 123, true, {"n1", "n2"}, 77}},
      {At(105), ExecutionStarted{running, At(60)}},
      {At(106), ExecutionFinished{done}},
      {At(107), RenewLeases{"n1", {{"job-1", running.id}, {"job-2", "x"}}, At(70)}},
      {At(108), SetPaused{true}},
      {At(109), SkipFire{"job-1", 77, "the job is disabled"}},
  };
}

// Apply the entry before and after a round trip to two states: same result.
TEST(Codec, EveryCommandRoundTrips) {
  for (const Entry& entry : EveryCommand()) {
    auto decoded = DecodeEntry(EncodeEntry(entry));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(decoded->now, entry.now);
    ASSERT_EQ(decoded->command.index(), entry.command.index());
    std::visit(
        [&](const auto& original) {
          using T = std::decay_t<decltype(original)>;
          const T& copy = std::get<T>(decoded->command);
          if constexpr (std::is_same_v<T, PutJob>) {
            EXPECT_EQ(copy.job, original.job);
          }
          if constexpr (std::is_same_v<T, ExecutionStarted>) {
            EXPECT_EQ(copy.execution, original.execution);
            EXPECT_EQ(copy.lease_until, original.lease_until);
          }
          if constexpr (std::is_same_v<T, ExecutionFinished>) {
            EXPECT_EQ(copy.execution, original.execution);
          }
          if constexpr (std::is_same_v<T, RenewLeases>) {
            EXPECT_EQ(copy.executions, original.executions);
            EXPECT_EQ(copy.until, original.until);
          }
          if constexpr (std::is_same_v<T, RecordFire>) {
            EXPECT_EQ(copy.scheduled, original.scheduled);
            EXPECT_EQ(copy.group, original.group);
            EXPECT_EQ(copy.manual, original.manual);
            EXPECT_EQ(copy.targets, original.targets);
            EXPECT_EQ(copy.parent_group, original.parent_group);
          }
        },
        entry.command);
  }
}

TEST(Codec, OutcomesCarryStatusAndJob) {
  MemoryExecutionStore store;
  State state(&store);
  Job j;
  j.name = "a";
  j.schedule = "@daily";
  Outcome ok = DecodeOutcome(EncodeOutcome(Apply(state, {At(0), PutJob{j}})));
  EXPECT_TRUE(ok.status.ok());
  ASSERT_NE(ok.job, nullptr);
  EXPECT_EQ(*ok.job, *state.FindJob("a"));
  Outcome refused = DecodeOutcome(EncodeOutcome(Apply(state, {At(0), DeleteJob{"zz"}})));
  EXPECT_EQ(refused.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(refused.status.message(), "job \"zz\" not found");
  EXPECT_EQ(refused.job, nullptr);
  EXPECT_EQ(DecodeOutcome("\xff\xff").status.code(), StatusCode::kInternal);
}

TEST(Codec, JobsRoundTripWithEveryField) {
  const std::vector<Entry> all = EveryCommand();
  const Job& j = std::get<PutJob>(all[0].command).job;
  auto back = DecodeJob(EncodeJob(j));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, j);
  EXPECT_EQ(DecodeJob("\xff\xff\xff").status().code(), StatusCode::kInvalidArgument);
}

TEST(Codec, RefusesGarbageAndNewerVersions) {
  EXPECT_EQ(DecodeEntry("\xff\xff\xff").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeEntry("").status().code(), StatusCode::kInvalidArgument);  // no command
  std::string bytes = EncodeEntry({At(0), SetPaused{true}});
  // Field 1 (min_version) is the first byte pair: 0x08 <version>.
  ASSERT_EQ(bytes[0], '\x08');
  bytes[1] = static_cast<char>(kCommandVersion + 1);
  auto r = DecodeEntry(bytes);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

// A state built by a random log, for snapshot tests.
void BuildState(State& state, int steps, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const char* names[] = {"a", "b", "c", "d", "e"};
  std::vector<Execution> started;
  for (int i = 0; i < steps; ++i) {
    const absl::Time now = At(i * 7);
    const std::string name = names[rng() % 5];
    switch (rng() % 5) {
      case 0: {
        Job j;
        j.name = name;
        j.schedule = "@every 1m";
        j.tags = {{"k", std::to_string(rng() % 9)}};
        Apply(state, {now, PutJob{j}});
        break;
      }
      case 1: {
        Execution e = Exec(name, "n" + std::to_string(rng() % 3), now, i);
        e.output = std::string(rng() % 300, 'o');
        started.push_back(e);
        Apply(state, {now, ExecutionStarted{e, now + absl::Minutes(1)}});
        break;
      }
      case 2:
        if (!started.empty()) {
          Execution e = started[rng() % started.size()];
          e.finished_at = now;
          e.success = rng() % 2;
          Apply(state, {now, ExecutionFinished{e}});
        }
        break;
      case 3:
        Apply(state, {now, RecordFire{name, now, i, false, {"n1", "n2"}}});
        break;
      default:
        Apply(state, {now, SetPaused{rng() % 2 == 0}});
        break;
    }
  }
}

std::vector<Execution> AllExecutions(const ExecutionStore& store) {
  std::vector<Execution> all;
  store.OpenView()->ForEach([&](const Execution& e) {
    all.push_back(e);
    return true;
  });
  return all;
}

TEST(Snapshot, RestoresTheSameStateFromManySmallChunks) {
  MemoryExecutionStore store;
  State state(&store);
  BuildState(state, 2000, 7);
  std::vector<std::string> chunks;
  WriteSnapshot(
      TakeSnapshotView(state), [&](std::string c) { chunks.push_back(std::move(c)); }, 256);
  ASSERT_GT(chunks.size(), 20u);  // streamed, not one buffer

  MemoryExecutionStore store2;
  State restored(&store2);
  Apply(restored, {At(0), PutJob{[] {
                     Job j;
                     j.name = "stale";
                     j.schedule = "@daily";
                     return j;
                   }()}});
  SnapshotReader reader(&restored);  // clears what was there
  for (const std::string& c : chunks) {
    // Feed in odd pieces to cross record boundaries.
    for (std::size_t i = 0; i < c.size(); i += 37) {
      ASSERT_TRUE(reader.Feed(std::string_view(c).substr(i, 37)).ok());
    }
  }
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_TRUE(restored.SameReplicatedMemory(state));
  EXPECT_EQ(restored.FindJob("stale"), nullptr);
  EXPECT_EQ(AllExecutions(store2), AllExecutions(store));
  EXPECT_EQ(restored.CheckInvariants(), "");
}

TEST(Snapshot, AViewIsUnaffectedByLaterApplies) {
  MemoryExecutionStore store;
  State state(&store);
  BuildState(state, 500, 3);
  SnapshotView view = TakeSnapshotView(state);
  MemoryExecutionStore expected_store;
  State expected(&expected_store);
  {
    std::vector<std::string> chunks;
    WriteSnapshot(TakeSnapshotView(state), [&](std::string c) { chunks.push_back(c); });
    SnapshotReader r(&expected);
    for (const auto& c : chunks) ASSERT_TRUE(r.Feed(c).ok());
    ASSERT_TRUE(r.Finish().ok());
  }
  BuildState(state, 500, 4);  // keep applying after the view was taken

  std::vector<std::string> chunks;
  WriteSnapshot(view, [&](std::string c) { chunks.push_back(c); });
  MemoryExecutionStore store2;
  State restored(&store2);
  SnapshotReader reader(&restored);
  for (const auto& c : chunks) ASSERT_TRUE(reader.Feed(c).ok());
  ASSERT_TRUE(reader.Finish().ok());
  EXPECT_TRUE(restored.SameReplicatedMemory(expected));
  EXPECT_FALSE(restored.SameReplicatedMemory(state));
}

TEST(Snapshot, TruncatedOrCorruptStreamsAreRefused) {
  MemoryExecutionStore store;
  State state(&store);
  BuildState(state, 300, 9);
  std::string all;
  WriteSnapshot(TakeSnapshotView(state), [&](std::string c) { all += c; });

  MemoryExecutionStore s2;
  State restored(&s2);
  {
    SnapshotReader reader(&restored);
    ASSERT_TRUE(reader.Feed(std::string_view(all).substr(0, all.size() - 5)).ok());
    EXPECT_EQ(reader.Finish().code(), StatusCode::kInvalidArgument);
  }
  {
    SnapshotReader reader(&restored);
    std::string bad = all;
    bad[0] = '\x01';  // first record is one byte long: not a header
    Status s = reader.Feed(bad);
    if (s.ok()) s = reader.Finish();
    EXPECT_FALSE(s.ok());
  }
  {
    SnapshotReader reader(&restored);
    EXPECT_EQ(reader.Finish().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(CheckSnapshotStart(all).ok());
  EXPECT_EQ(CheckSnapshotStart("\x05garbage").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ckron::fsm
