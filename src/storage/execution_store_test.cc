// The ExecutionStore contract, checked on both implementations: the RocksDB
// store used in production and the in-memory one the other tests use.
#include <gtest/gtest.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "fsm/apply.h"
#include "storage/rocks_execution_store.h"

namespace ckron::storage {
namespace {

using fsm::Execution;
using fsm::ExecutionStore;

absl::Time At(std::int64_t s) {
  return absl::FromUnixSeconds(1'767'225'600 + s);
}

Execution Exec(const std::string& job, const std::string& node, absl::Time t,
               std::string output = "") {
  Execution e;
  e.job_name = job;
  e.node_name = node;
  e.started_at = t;
  e.id = fsm::ExecutionKey(t, node);
  e.output = std::move(output);
  return e;
}

std::vector<std::string> Ids(const ExecutionStore& store, const std::string& job) {
  std::vector<std::string> ids;
  store.Scan(job, false, [&](const Execution& e) {
    ids.push_back(e.id);
    return true;
  });
  return ids;
}

class ExecutionStoreTest : public ::testing::TestWithParam<bool /*rocks*/> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::replace(name.begin(), name.end(), '/', '_');
      dir_ = (std::filesystem::temp_directory_path() /
              ("ckron-store-" + std::to_string(::getpid()) + "-" + name))
                 .string();
      auto s = RocksExecutionStore::Open({.path = dir_});
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      store_ = std::move(s).value();
    } else {
      store_ = std::make_unique<fsm::MemoryExecutionStore>();
    }
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<ExecutionStore> store_;
};

TEST_P(ExecutionStoreTest, PutGetScanInStartOrderAndCount) {
  store_->Put(Exec("a", "n2", At(20), "second"));
  store_->Put(Exec("a", "n1", At(10), "first"));
  store_->Put(Exec("a-b", "n1", At(5)));  // a job whose name extends "a"
  store_->Put(Exec("b", "n1", At(1)));
  EXPECT_EQ(store_->Count("a"), 2u);
  EXPECT_EQ(store_->Count("a-b"), 1u);
  EXPECT_EQ(store_->Count("nope"), 0u);
  EXPECT_EQ(Ids(*store_, "a"), (std::vector<std::string>{fsm::ExecutionKey(At(10), "n1"),
                                                         fsm::ExecutionKey(At(20), "n2")}));
  auto got = store_->Get("a", fsm::ExecutionKey(At(20), "n2"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->output, "second");
  std::vector<std::string> outputs;
  store_->Scan("a", true, [&](const Execution& e) {
    outputs.push_back(e.output);
    return true;
  });
  EXPECT_EQ(outputs, (std::vector<std::string>{"first", "second"}));
  store_->Scan("a", false, [&](const Execution& e) {
    EXPECT_TRUE(e.output.empty());
    return true;
  });
}

TEST_P(ExecutionStoreTest, ReplaceKeepsCountAndUpdatesOutput) {
  Execution e = Exec("a", "n1", At(10));
  store_->Put(e);
  EXPECT_EQ(store_->Count("a"), 1u);
  e.finished_at = At(11);
  e.success = true;
  e.output = std::string(300'000, 'x');
  store_->Put(e);
  EXPECT_EQ(store_->Count("a"), 1u);
  auto got = store_->Get("a", e.id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, e);
}

TEST_P(ExecutionStoreTest, ContainsFollowsPutAndDeleteAndAReplaceCanDropTheOutput) {
  Execution e = Exec("a", "n1", At(10), "partial");
  EXPECT_FALSE(store_->Contains("a", e.id));
  store_->Put(e);
  EXPECT_TRUE(store_->Contains("a", e.id));
  EXPECT_FALSE(store_->Contains("b", e.id));
  // Replaced under the same keys, now without output: the old output goes.
  e.finished_at = At(11);
  e.output.clear();
  store_->Put(e);
  auto got = store_->Get("a", e.id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, e);
  // Replaced with a new start time: found under it, once.
  e.started_at = At(12);
  store_->Put(e);
  EXPECT_EQ(Ids(*store_, "a"), std::vector<std::string>{e.id});
  store_->Delete("a", e.id);
  EXPECT_FALSE(store_->Contains("a", e.id));
  EXPECT_EQ(store_->Count("a"), 0u);
}

TEST_P(ExecutionStoreTest, DeleteAndClear) {
  store_->Put(Exec("a", "n1", At(10)));
  store_->Put(Exec("a", "n2", At(11)));
  store_->Put(Exec("b", "n1", At(12)));
  store_->Delete("a", fsm::ExecutionKey(At(10), "n1"));
  store_->Delete("a", "unknown");
  EXPECT_EQ(store_->Count("a"), 1u);
  EXPECT_FALSE(store_->Get("a", fsm::ExecutionKey(At(10), "n1")).has_value());
  store_->Clear();
  EXPECT_EQ(store_->Count("a"), 0u);
  EXPECT_EQ(store_->Count("b"), 0u);
  EXPECT_TRUE(Ids(*store_, "b").empty());
}

std::vector<std::string> GroupIds(const ExecutionStore& store, const std::string& job,
                                  std::int64_t group) {
  std::vector<std::string> ids;
  store.ScanGroup(job, group, [&](const Execution& e) {
    EXPECT_EQ(e.group, group);
    EXPECT_TRUE(e.output.empty());
    ids.push_back(e.id);
    return true;
  });
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_P(ExecutionStoreTest, PutIfAbsentInsertsOnceAndKeepsTheFirst) {
  Execution e = Exec("a", "n1", At(10), "first");
  e.group = 7;
  EXPECT_TRUE(store_->PutIfAbsent(e));
  Execution again = e;
  again.output = "second";
  again.started_at = At(11);
  EXPECT_FALSE(store_->PutIfAbsent(again));
  EXPECT_EQ(store_->Get("a", e.id), e);
  EXPECT_EQ(store_->Count("a"), 1u);
  EXPECT_EQ(GroupIds(*store_, "a", 7), std::vector<std::string>{e.id});
  // What it stored is an ordinary record: replaced and deleted as one.
  e.finished_at = At(12);
  store_->Put(e);
  EXPECT_EQ(store_->Get("a", e.id), e);
  store_->Delete("a", e.id);
  EXPECT_FALSE(store_->Contains("a", e.id));
  EXPECT_TRUE(GroupIds(*store_, "a", 7).empty());
}

TEST_P(ExecutionStoreTest, DeleteVisitedRemovesWhatAScanVisitedAndNothingElse) {
  Execution moved = Exec("a", "n1", At(10), "out");
  moved.group = 7;
  store_->Put(moved);
  moved.started_at = At(15);  // replaced under a new start time
  store_->Put(moved);
  Execution kept = Exec("a", "n2", At(11), "kept");
  kept.group = 7;
  store_->Put(kept);
  std::vector<Execution> visited;
  store_->Scan("a", false, [&](const Execution& e) {
    if (e.id == moved.id) visited.push_back(e);
    return true;
  });
  ASSERT_EQ(visited.size(), 1u);
  store_->DeleteVisited(visited[0]);
  EXPECT_FALSE(store_->Contains("a", moved.id));
  EXPECT_FALSE(store_->Get("a", moved.id).has_value());
  EXPECT_EQ(store_->Count("a"), 1u);
  EXPECT_EQ(Ids(*store_, "a"), std::vector<std::string>{kept.id});
  EXPECT_EQ(GroupIds(*store_, "a", 7), std::vector<std::string>{kept.id});
  EXPECT_EQ(store_->Get("a", kept.id), kept);
  // A new execution under the deleted id starts with no output.
  Execution reborn = Exec("a", "n1", At(10));
  reborn.group = 8;
  store_->Put(reborn);
  EXPECT_EQ(store_->Get("a", reborn.id), reborn);
}

std::vector<std::string> OldestIds(ExecutionStore& store, const std::string& job) {
  std::vector<std::string> ids;
  store.ScanOldest(job, [&](const Execution& e) {
    EXPECT_TRUE(e.output.empty());
    ids.push_back(e.id);
    return true;
  });
  return ids;
}

// ScanOldest may start where the last one found the oldest live record; it
// must still see everything Scan sees: what came after, and an older record
// written since.
TEST_P(ExecutionStoreTest, ScanOldestSeesWhatScanSeesAsTheJobIsPrunedAndWritten) {
  for (int i = 0; i < 20; ++i) store_->Put(Exec("a", "n1", At(10 + i), "o"));
  store_->Put(Exec("b", "n1", At(1)));
  EXPECT_EQ(OldestIds(*store_, "a"), Ids(*store_, "a"));
  for (int round = 0; round < 3; ++round) {
    std::vector<Execution> oldest;
    store_->ScanOldest("a", [&](const Execution& e) {
      oldest.push_back(e);
      return oldest.size() < 5;
    });
    for (const Execution& e : oldest) store_->DeleteVisited(e);
    EXPECT_EQ(OldestIds(*store_, "a"), Ids(*store_, "a"));
  }
  EXPECT_EQ(Ids(*store_, "a").size(), 5u);
  // Older than every live record (a late report): seen first.
  const Execution late = Exec("a", "n2", At(0));
  store_->Put(late);
  ASSERT_EQ(OldestIds(*store_, "a").front(), late.id);
  EXPECT_EQ(OldestIds(*store_, "a"), Ids(*store_, "a"));
  // All gone, then one more.
  for (const std::string& id : Ids(*store_, "a")) store_->Delete("a", id);
  EXPECT_TRUE(OldestIds(*store_, "a").empty());
  store_->PutIfAbsent(Exec("a", "n1", At(-100)));
  EXPECT_EQ(OldestIds(*store_, "a"), Ids(*store_, "a"));
  EXPECT_EQ(OldestIds(*store_, "a").size(), 1u);
  store_->Clear();
  EXPECT_TRUE(OldestIds(*store_, "a").empty());
  store_->Put(Exec("a", "n1", At(50)));
  EXPECT_EQ(OldestIds(*store_, "a").size(), 1u);
  EXPECT_EQ(OldestIds(*store_, "b"), std::vector<std::string>{});
}

TEST_P(ExecutionStoreTest, ScanGroupVisitsOnlyThatTriggerAndFollowsReplaceAndDelete) {
  Execution a1 = Exec("a", "n1", At(10), "out"), a2 = Exec("a", "n2", At(11));
  a1.group = a2.group = 100;
  Execution other = Exec("a", "n1", At(20));
  other.group = 200;
  Execution negative = Exec("a", "n3", At(21));
  negative.group = -5;                    // groups sort as signed numbers; none is lost
  Execution b = Exec("b", "n1", At(10));  // another job, same group
  b.group = 100;
  for (const Execution& e : {a1, a2, other, negative, b}) store_->Put(e);
  std::vector<std::string> both = {a1.id, a2.id};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(GroupIds(*store_, "a", 100), both);
  EXPECT_EQ(GroupIds(*store_, "a", 200), std::vector<std::string>{other.id});
  EXPECT_EQ(GroupIds(*store_, "a", -5), std::vector<std::string>{negative.id});
  EXPECT_TRUE(GroupIds(*store_, "a", 300).empty());

  // The same execution finished, then moved to another group and started
  // later: found under its new group only, with its new fields.
  a1.finished_at = At(12);
  a1.success = true;
  store_->Put(a1);
  a1.group = 300;
  a1.started_at = At(30);
  store_->Put(a1);
  EXPECT_EQ(GroupIds(*store_, "a", 100), std::vector<std::string>{a2.id});
  EXPECT_EQ(GroupIds(*store_, "a", 300), std::vector<std::string>{a1.id});
  store_->ScanGroup("a", 300, [&](const Execution& e) {
    EXPECT_EQ(e.started_at, At(30));
    EXPECT_TRUE(e.success);
    return true;
  });

  store_->Delete("a", a2.id);
  EXPECT_TRUE(GroupIds(*store_, "a", 100).empty());
  EXPECT_EQ(GroupIds(*store_, "b", 100), std::vector<std::string>{b.id});
  // Stopping early.
  int visits = 0;
  store_->Put(a2);
  Execution a3 = Exec("a", "n3", At(12));
  a3.group = 100;
  store_->Put(a3);
  store_->ScanGroup("a", 100, [&](const Execution&) { return ++visits < 1; });
  EXPECT_EQ(visits, 1);
  store_->Clear();
  EXPECT_TRUE(GroupIds(*store_, "b", 100).empty());
}

TEST_P(ExecutionStoreTest, ViewIsFrozenWhileWritesContinue) {
  store_->Put(Exec("a", "n1", At(10), "one"));
  std::unique_ptr<const ExecutionStore::View> view = store_->OpenView();
  store_->Put(Exec("a", "n2", At(11), "two"));
  store_->Delete("a", fsm::ExecutionKey(At(10), "n1"));
  std::vector<std::string> seen;
  view->ForEach([&](const Execution& e) {
    seen.push_back(e.output);
    return true;
  });
  EXPECT_EQ(seen, std::vector<std::string>{"one"});
}

// The state machine gives the same results on either store.
TEST_P(ExecutionStoreTest, StateMachineAgreesWithTheMemoryStore) {
  fsm::MemoryExecutionStore reference_store;
  fsm::State reference(&reference_store);
  fsm::State state(store_.get());
  std::mt19937 rng(5);
  std::vector<Execution> started;
  for (int i = 0; i < 1500; ++i) {
    const absl::Time now = At(i);
    const std::string job = std::string(1, static_cast<char>('a' + rng() % 3));
    fsm::Command cmd;
    switch (rng() % 4) {
      case 0: {
        fsm::Job j;
        j.name = job;
        j.schedule = "@every 1m";
        cmd = fsm::PutJob{j};
        break;
      }
      case 1: {
        Execution e = Exec(job, "n" + std::to_string(rng() % 3), now, "out");
        e.group = i / 10;
        started.push_back(e);
        cmd = fsm::ExecutionStarted{e, now + absl::Minutes(1)};
        break;
      }
      case 2: {
        if (started.empty()) continue;
        Execution e = started[rng() % started.size()];
        e.finished_at = now;
        e.success = rng() % 2;
        cmd = fsm::ExecutionFinished{e};
        break;
      }
      default:
        cmd = fsm::DeleteExecutions{job};
        break;
    }
    const fsm::ApplyResult want = fsm::Apply(reference, {now, cmd});
    const fsm::ApplyResult got = fsm::Apply(state, {now, cmd});
    ASSERT_EQ(got.status, want.status) << i;
  }
  EXPECT_TRUE(state.SameReplicatedMemory(reference));
  for (const char* job : {"a", "b", "c"}) {
    EXPECT_EQ(Ids(*store_, job), Ids(reference_store, job)) << job;
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, ExecutionStoreTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Rocks" : "Memory"; });

TEST(RocksExecutionStore, OpenDiscardsWhatAnEarlierRunLeft) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("ckron-store-reopen-" + std::to_string(::getpid())))
                              .string();
  {
    auto s = RocksExecutionStore::Open({.path = dir});
    ASSERT_TRUE(s.ok());
    (*s)->Put(Exec("a", "n1", At(1)));
  }
  {
    auto s = RocksExecutionStore::Open({.path = dir});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->Count("a"), 0u);
  }
  std::filesystem::remove_all(dir);
}

// After a bulk delete the store holds a field of deleted keys. Reading one
// job must not walk the deleted keys of the jobs after it: Count, Scan and
// ScanGroup of a job with no executions cost nothing, whatever was deleted.
TEST(RocksExecutionStore, ReadingAJobDoesNotWalkTheDeletedKeysOfOthers) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("ckron-store-tombstones-" + std::to_string(::getpid())))
                              .string();
  {
    auto s = RocksExecutionStore::Open({.path = dir});
    ASSERT_TRUE(s.ok());
    RocksExecutionStore& store = **s;
    constexpr int kDeleted = 2000;
    for (int i = 0; i < kDeleted; ++i) {
      Execution e = Exec("z" + std::to_string(i), "n1", At(i), "out");
      e.group = 7;
      store.Put(e);
      store.Delete(e.job_name, e.id);
    }
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    EXPECT_EQ(store.Count("a"), 0u);
    EXPECT_TRUE(Ids(store, "a").empty());
    store.ScanGroup("a", 7, [](const Execution&) { return true; });
    const std::uint64_t skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    EXPECT_EQ(skipped, 0u) << "deleted keys walked past";
  }
  std::filesystem::remove_all(dir);
}

// A job pruned on every result: each ScanOldest starts at its oldest live
// record, not at the start of all it ever deleted.
TEST(RocksExecutionStore, PruningAJobOnEveryResultDoesNotWalkWhatItPrunedBefore) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("ckron-store-prune-" + std::to_string(::getpid())))
          .string();
  {
    auto s = RocksExecutionStore::Open({.path = dir});
    ASSERT_TRUE(s.ok());
    RocksExecutionStore& store = **s;
    constexpr int kKeep = 10;
    std::uint64_t last_skipped = 0;
    for (int i = 0; i < 500; ++i) {
      store.Put(Exec("a", "n1", At(i), "out"));
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
      rocksdb::get_perf_context()->Reset();
      std::vector<Execution> drop;
      std::size_t count = store.Count("a");
      store.ScanOldest("a", [&](const Execution& e) {
        if (count <= kKeep) return false;
        drop.push_back(e);
        --count;
        return true;
      });
      last_skipped = rocksdb::get_perf_context()->internal_delete_skipped_count;
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
      for (const Execution& e : drop) store.DeleteVisited(e);
    }
    EXPECT_EQ(store.Count("a"), static_cast<std::size_t>(kKeep));
    EXPECT_LE(last_skipped, 1u) << "the scan walked the executions pruned before";
  }
  std::filesystem::remove_all(dir);
}

// Ephemeral jobs come and go by the million: a deleted job leaves no count
// or prune floor behind in memory.
TEST(RocksExecutionStore, DeletedJobsLeaveNothingInMemory) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("ckron-store-forget-" + std::to_string(::getpid())))
                              .string();
  {
    auto s = RocksExecutionStore::Open({.path = dir});
    ASSERT_TRUE(s.ok());
    fsm::State state(s->get());
    const absl::Time now = At(0);
    for (int i = 0; i < 50; ++i) {
      fsm::Job job;
      job.name = "once-" + std::to_string(i);
      job.schedule = "@every 1m";
      job.executor = "shell";
      job.executor_config = {{"command", "true"}};
      ASSERT_TRUE(fsm::Apply(state, {now, fsm::PutJob{job}}).status.ok());
      Execution e = Exec(job.name, "n1", At(i));
      ASSERT_TRUE(fsm::Apply(state, {now, fsm::ExecutionStarted{e, At(i + 60)}}).status.ok());
      e.finished_at = At(i + 1);
      e.success = true;
      ASSERT_TRUE(fsm::Apply(state, {now, fsm::ExecutionFinished{e}}).status.ok());
      ASSERT_TRUE(fsm::Apply(state, {now, fsm::DeleteJob{job.name}}).status.ok());
    }
    EXPECT_EQ((*s)->TrackedJobs(), 0u);
    EXPECT_EQ((*s)->Count("once-0"), 0u);
  }
  std::filesystem::remove_all(dir);
}

TEST(RocksExecutionStore, UnusablePathIsUnavailable) {
  auto s = RocksExecutionStore::Open({.path = "/proc/ckron-cannot-create"});
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ckron::storage
