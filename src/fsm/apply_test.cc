#include "fsm/apply.h"

#include <gtest/gtest.h>

#include <set>

// GCC 12 at -O2 reports std::variant's storage as maybe-uninitialized when
// the test moves Entries into a vector (a known false positive of its
// variant implementation); the code is well-defined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <random>

#include "cron/schedule.h"
#include "cron/testing/time_text.h"

namespace ckron::fsm {
namespace {

using cron::testing::T;

Job MakeJob(std::string name, std::string schedule = "0 0 * * * *") {
  Job j;
  j.name = std::move(name);
  j.schedule = std::move(schedule);
  j.executor = "shell";
  j.executor_config = {{"command", "true"}};
  return j;
}

Execution MakeExecution(const std::string& job, const std::string& node, absl::Time started,
                        std::int64_t group, std::uint32_t attempt = 1) {
  Execution e;
  e.job_name = job;
  e.node_name = node;
  e.started_at = started;
  e.id = ExecutionKey(started, node);
  e.group = group;
  e.attempt = attempt;
  return e;
}

Execution Finished(Execution e, bool success, absl::Time at, std::string output = "") {
  e.finished_at = at;
  e.success = success;
  e.output = std::move(output);
  return e;
}

class ApplyTest : public ::testing::Test {
 protected:
  ApplyResult Run(Command cmd, absl::Time now = T("2026-01-01T00:30:00Z")) {
    ApplyResult r = Apply(state_, Entry{now, std::move(cmd)});
    EXPECT_EQ(state_.CheckInvariants(), "");
    return r;
  }
  const Job& Get(const std::string& name) {
    const Job* j = state_.FindJob(name);
    EXPECT_NE(j, nullptr) << name;
    static const Job kEmpty;
    return j != nullptr ? *j : kEmpty;
  }

  MemoryExecutionStore store_;
  State state_{&store_};
};

// --- Jobs -----------------------------------------------------------------

TEST_F(ApplyTest, PutJob_CreatesWithAnchorAndNext) {
  ApplyResult r = Run(PutJob{MakeJob("a")}, T("2026-01-01T00:30:00Z"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  const Job& a = Get("a");
  EXPECT_EQ(a.schedule_anchor, T("2026-01-01T00:30:00Z"));
  EXPECT_TRUE(a.next_known);
  EXPECT_EQ(a.next, T("2026-01-01T01:00:00Z"));
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(std::get<JobUpserted>(r.events[0]).schedule_changed);
  ASSERT_NE(r.job, nullptr);
  EXPECT_EQ(r.job->name, "a");
}

TEST_F(ApplyTest, PutJob_RefusesInvalidJobsWithDkronMessages) {
  struct Case {
    Job job;
    const char* message;
  } cases[] = {
      {MakeJob(""), "name cannot be empty"},
      {MakeJob("BAD JOB NAME!"), "name contains illegal character 'B'"},
      {MakeJob("bad job"), "name contains illegal character ' '"},
      {MakeJob("a", "not a schedule"),
       "can't parse job schedule: expected 6 fields (second minute hour day-of-month month "
       "day-of-week), found 3 in \"not a schedule\""},
      {MakeJob("a", "@at badtime"),
       "can't parse job schedule: @at: \"badtime\" is not an RFC 3339 time (e.g. "
       "2026-01-02T15:04:05Z)"},
  };
  for (const auto& c : cases) {
    ApplyResult r = Run(PutJob{c.job});
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << c.job.name;
    EXPECT_EQ(r.status.message(), c.message);
  }
  Job self = MakeJob("a");
  self.parent_job = "a";
  EXPECT_EQ(Run(PutJob{self}).status.message(), "the job can not have itself as parent");
  Job conc = MakeJob("a");
  conc.concurrency = "sometimes";
  EXPECT_EQ(Run(PutJob{conc}).status.message(),
            "invalid concurrency policy value, use \"allow\", \"forbid\" or \"replace\"");
  Job misfire = MakeJob("a");
  misfire.misfire_policy = "sometimes";
  EXPECT_EQ(Run(PutJob{misfire}).status.message(),
            "invalid misfire_policy value, use \"run_once\", \"skip\" or \"run_all\"");
  Job deadline = MakeJob("a");
  deadline.starting_deadline = absl::Seconds(-1);
  EXPECT_EQ(Run(PutJob{deadline}).status.message(), "starting_deadline must not be negative");
  Job tz = MakeJob("a");
  tz.timezone = "Mars/Olympus";
  EXPECT_EQ(Run(PutJob{tz}).status.message(), "unknown time zone \"Mars/Olympus\"");
  EXPECT_TRUE(state_.jobs().empty());
}

TEST_F(ApplyTest, PutJob_AcceptsUnicodeLowercaseNames) {
  EXPECT_TRUE(Run(PutJob{MakeJob("\xC3\x9F\xC3\xB1\xC3\xAB\xC3\xA4\xC3\xAF-job_2")}).status.ok());
  EXPECT_EQ(Run(PutJob{MakeJob("caf\xC3\x89")}).status.message(),  // É is uppercase
            "name contains illegal character '\xC3\x89'");
}

TEST_F(ApplyTest, PutJob_UnknownParentIsNotFoundAndCreatesNothing) {
  Job child = MakeJob("child", "");
  child.parent_job = "nope";
  ApplyResult r = Run(PutJob{child});
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status.message(), "specified parent job not found");
  EXPECT_EQ(state_.FindJob("child"), nullptr);
}

TEST_F(ApplyTest, PutJob_UpdateMergesComputedFieldsAsDkron) {
  ASSERT_TRUE(Run(PutJob{MakeJob("p")}).status.ok());
  Job child = MakeJob("c", "");
  child.parent_job = "p";
  ASSERT_TRUE(Run(PutJob{child}).status.ok());
  const Execution e = MakeExecution("p", "n1", T("2026-01-01T01:00:00Z"), 1);
  ASSERT_TRUE(Run(ExecutionStarted{e, T("2026-01-01T01:01:00Z")}).status.ok());
  ASSERT_TRUE(Run(ExecutionFinished{Finished(e, true, T("2026-01-01T01:00:05Z"))}).status.ok());

  // A client PUTs the job back with stale computed fields.
  Job stale = MakeJob("p");
  stale.displayname = "Parent";
  stale.success_count = 0;
  stale.dependent_jobs = {"ghost"};
  stale.status = "";
  ASSERT_TRUE(Run(PutJob{stale}).status.ok());
  const Job& p = Get("p");
  EXPECT_EQ(p.displayname, "Parent");
  EXPECT_EQ(p.success_count, 1);
  EXPECT_EQ(p.last_success, T("2026-01-01T01:00:05Z"));
  EXPECT_EQ(p.status, kStatusSuccess);
  EXPECT_EQ(p.dependent_jobs, std::vector<std::string>{"c"});
}

TEST_F(ApplyTest, PutJob_AnchorMovesOnlyWhenTheScheduleChanges) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a", "@every 10m")}, T("2026-01-01T00:03:00Z")).status.ok());
  Job same = MakeJob("a", "@every 10m");
  same.owner = "ops";
  ApplyResult r = Run(PutJob{same}, T("2026-01-01T05:00:00Z"));
  EXPECT_FALSE(std::get<JobUpserted>(r.events[0]).schedule_changed);
  EXPECT_EQ(Get("a").schedule_anchor, T("2026-01-01T00:03:00Z"));
  EXPECT_EQ(Get("a").next, T("2026-01-01T05:03:00Z"));  // phase kept
  ASSERT_TRUE(Run(PutJob{MakeJob("a", "@every 15m")}, T("2026-01-01T05:01:00Z")).status.ok());
  EXPECT_EQ(Get("a").schedule_anchor, T("2026-01-01T05:01:00Z"));
  EXPECT_EQ(Get("a").next, T("2026-01-01T05:16:00Z"));
}

TEST_F(ApplyTest, PutJob_ParentChangeMovesTheChild) {
  ASSERT_TRUE(Run(PutJob{MakeJob("p1")}).status.ok());
  ASSERT_TRUE(Run(PutJob{MakeJob("p2")}).status.ok());
  Job c = MakeJob("c", "");
  c.parent_job = "p1";
  ASSERT_TRUE(Run(PutJob{c}).status.ok());
  EXPECT_EQ(Get("p1").dependent_jobs, std::vector<std::string>{"c"});
  c.parent_job = "p2";
  ASSERT_TRUE(Run(PutJob{c}).status.ok());
  EXPECT_TRUE(Get("p1").dependent_jobs.empty());
  EXPECT_EQ(Get("p2").dependent_jobs, std::vector<std::string>{"c"});
  c.parent_job = "";
  c.schedule = "@daily";
  ASSERT_TRUE(Run(PutJob{c}).status.ok());
  EXPECT_TRUE(Get("p2").dependent_jobs.empty());
}

TEST_F(ApplyTest, PutJob_RefusesADependencyLoop) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  Job b = MakeJob("b", "");
  b.parent_job = "a";
  ASSERT_TRUE(Run(PutJob{b}).status.ok());
  Job a = MakeJob("a", "");
  a.parent_job = "b";
  ApplyResult r = Run(PutJob{a});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status.message(), "parent job \"b\" depends on this job: dependencies would loop");
  EXPECT_EQ(Get("a").parent_job, "");
}

TEST_F(ApplyTest, DeleteJob_RefusedWithChildrenThenUnlinksAndDropsExecutions) {
  ASSERT_TRUE(Run(PutJob{MakeJob("p")}).status.ok());
  Job c = MakeJob("c", "");
  c.parent_job = "p";
  ASSERT_TRUE(Run(PutJob{c}).status.ok());
  ApplyResult refused = Run(DeleteJob{"p"});
  EXPECT_EQ(refused.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status.message(),
            "could not delete job with dependent jobs, delete children first");

  const Execution e = MakeExecution("c", "n1", T("2026-01-01T01:00:00Z"), 1);
  ASSERT_TRUE(Run(ExecutionStarted{e, T("2026-01-01T01:01:00Z")}).status.ok());
  ApplyResult r = Run(DeleteJob{"c"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.job->name, "c");
  EXPECT_TRUE(Get("p").dependent_jobs.empty());
  EXPECT_EQ(store_.Count("c"), 0u);
  EXPECT_TRUE(state_.running().empty());
  EXPECT_TRUE(Run(DeleteJob{"p"}).status.ok());
  EXPECT_EQ(Run(DeleteJob{"p"}).status.code(), StatusCode::kNotFound);
}

TEST_F(ApplyTest, SetJobDisabled_TogglesAndReportsTimingChange) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  ApplyResult r = Run(SetJobDisabled{"a", true});
  EXPECT_TRUE(r.job->disabled);
  EXPECT_TRUE(std::get<JobUpserted>(r.events[0]).schedule_changed);
  EXPECT_FALSE(std::get<JobUpserted>(Run(SetJobDisabled{"a", true}).events[0]).schedule_changed);
  EXPECT_EQ(Run(SetJobDisabled{"zz", true}).status.code(), StatusCode::kNotFound);
}

// --- Fires ------------------------------------------------------------------

TEST_F(ApplyTest, RecordFire_NeverRecordsTheSameScheduledTimeTwice) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  ApplyResult first = Run(RecordFire{"a", t, 111, false}, t);
  ASSERT_TRUE(first.status.ok());
  EXPECT_EQ(first.job->next, T("2026-01-01T02:00:00Z"));
  EXPECT_EQ(Run(RecordFire{"a", t, 112, false}, t).status.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Run(RecordFire{"a", t - absl::Hours(1), 113, false}, t).status.code(),
            StatusCode::kAlreadyExists);
  // Manual runs are never deduplicated and do not move the schedule.
  EXPECT_TRUE(Run(RecordFire{"a", t, 114, true}, t).status.ok());
  EXPECT_TRUE(Run(RecordFire{"a", t, 115, true}, t).status.ok());
  EXPECT_EQ(Get("a").last_fire, t);
  EXPECT_TRUE(Run(RecordFire{"a", t + absl::Hours(1), 116, false}, t + absl::Hours(1)).status.ok());
}

TEST_F(ApplyTest, RecordFire_TargetsBecomePendingRunsUntilTheyStart) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  const std::int64_t g = absl::ToUnixNanos(t);
  ApplyResult r = Run(RecordFire{"a", t, g, false, {"n1", "n2"}}, t);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(std::get<RunPending>(r.events[1]).node_name, "n1");
  EXPECT_EQ(state_.pending_runs().size(), 2u);
  Execution e = MakeExecution("a", "n1", t, g);
  ASSERT_TRUE(Run(ExecutionStarted{e, t + absl::Minutes(1)}).status.ok());
  EXPECT_EQ(state_.pending_runs().size(), 1u);
  EXPECT_EQ(state_.pending_runs().begin()->first.node_name, "n2");
  // A node that never started it is failed by the leader: that settles it too.
  ASSERT_TRUE(
      Run(ExecutionFinished{Finished(MakeExecution("a", "n2", t, g), false, t)}).status.ok());
  EXPECT_TRUE(state_.pending_runs().empty());
}

TEST_F(ApplyTest, RecordFire_WithoutTargetsRecordsAFailedExecution) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  ApplyResult r = Run(RecordFire{"a", t, absl::ToUnixNanos(t), false, {}}, t);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(Get("a").error_count, 1);
  EXPECT_EQ(Get("a").status, kStatusFailed);
  std::vector<Execution> all;
  store_.Scan("a", true, [&](const Execution& e) {
    all.push_back(e);
    return true;
  });
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].output, "no target nodes found to run job a");
  EXPECT_TRUE(state_.pending_runs().empty());
}

TEST_F(ApplyTest, Retries_FollowDkronsBackoffThenStop) {
  Job j = MakeJob("a");
  j.retries = 2;
  ASSERT_TRUE(Run(PutJob{j}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  const std::int64_t g = absl::ToUnixNanos(t);
  // Attempt 1 ran 3 s: floor(log2(3s / 500ms)) + 1 = 2 + 1 -> 1.5 s.
  ApplyResult r = Run(
      ExecutionFinished{Finished(MakeExecution("a", "n1", t, g, 1), false, t + absl::Seconds(3))});
  ASSERT_EQ(r.events.size(), 2u);
  const RunPending& retry = std::get<RunPending>(r.events[1]);
  EXPECT_EQ(retry.attempt, 2u);
  EXPECT_EQ(retry.node_name, "n1");
  EXPECT_EQ(retry.due, t + absl::Seconds(3) + absl::Milliseconds(1500));
  // Attempt 2 failed at once (under 500 ms): retried without waiting.
  const absl::Time t2 = t + absl::Seconds(5);
  r = Run(ExecutionFinished{Finished(MakeExecution("a", "n1", t2, g, 2), false, t2)});
  EXPECT_EQ(std::get<RunPending>(r.events[1]).due, t2);
  EXPECT_EQ(std::get<RunPending>(r.events[1]).attempt, 3u);
  // Attempt 3 is the last (retries = 2).
  const absl::Time t3 = t + absl::Seconds(9);
  r = Run(ExecutionFinished{Finished(MakeExecution("a", "n1", t3, g, 3), false, t3)});
  EXPECT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(state_.pending_runs().empty());
}

TEST_F(ApplyTest, Retries_UseTheJobsBackoffWhenSet) {
  Job j = MakeJob("a");
  j.retries = 5;
  j.retry_backoff = absl::Seconds(10);
  ASSERT_TRUE(Run(PutJob{j}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  const std::int64_t g = absl::ToUnixNanos(t);
  ApplyResult r = Run(ExecutionFinished{Finished(MakeExecution("a", "n1", t, g, 3), false, t)});
  EXPECT_EQ(std::get<RunPending>(r.events[1]).due, t + absl::Seconds(40));  // 10 s x 2^2
}

TEST_F(ApplyTest, Dependents_FireAfterTheParentGroupSucceeds) {
  ASSERT_TRUE(Run(PutJob{MakeJob("p")}).status.ok());
  Job c = MakeJob("c", "");
  c.parent_job = "p";
  ASSERT_TRUE(Run(PutJob{c}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  const std::int64_t g = absl::ToUnixNanos(t);
  ASSERT_TRUE(Run(RecordFire{"p", t, g, false, {"n1", "n2"}}, t).status.ok());
  ApplyResult first =
      Run(ExecutionFinished{Finished(MakeExecution("p", "n1", t, g), true, t + absl::Seconds(1))});
  EXPECT_TRUE(state_.pending_fires().empty());  // n2 has not run yet
  ApplyResult second =
      Run(ExecutionFinished{Finished(MakeExecution("p", "n2", t, g), true, t + absl::Seconds(2))});
  ASSERT_EQ(state_.pending_fires().size(), 1u);
  EXPECT_EQ(std::get<FirePending>(second.events.back()).job_name, "c");
  EXPECT_EQ(state_.pending_fires().begin()->second, t);
  // The leader records the child's fire, which settles the pending one.
  ASSERT_TRUE(Run(RecordFire{"c", t, g, true, {"n1"}, g}, t).status.ok());
  EXPECT_TRUE(state_.pending_fires().empty());
  // Once: a second leader's recording of it is refused.
  EXPECT_EQ(Run(RecordFire{"c", t, g, true, {"n2"}, g}, t).status.code(),
            StatusCode::kAlreadyExists);
}

TEST_F(ApplyTest, Dependents_ASkippedPendingFireIsDroppedOnce) {
  ASSERT_TRUE(Run(PutJob{MakeJob("p")}).status.ok());
  Job c = MakeJob("c", "");
  c.parent_job = "p";
  ASSERT_TRUE(Run(PutJob{c}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  const std::int64_t g = absl::ToUnixNanos(t);
  ASSERT_TRUE(Run(RecordFire{"p", t, g, false, {"n1"}}, t).status.ok());
  Run(ExecutionFinished{Finished(MakeExecution("p", "n1", t, g), true, t)});
  ASSERT_EQ(state_.pending_fires().size(), 1u);
  EXPECT_EQ(Run(SkipFire{"c", g + 1, "the job is disabled"}).status.code(), StatusCode::kNotFound);
  ASSERT_EQ(state_.pending_fires().size(), 1u);
  EXPECT_TRUE(Run(SkipFire{"c", g, "the job is disabled"}).status.ok());
  EXPECT_TRUE(state_.pending_fires().empty());
  EXPECT_EQ(Run(SkipFire{"c", g, "the job is disabled"}).status.code(), StatusCode::kNotFound);
  // The skipped child never fires for that group.
  EXPECT_EQ(Run(RecordFire{"c", t, g, true, {"n1"}, g}, t).status.code(),
            StatusCode::kAlreadyExists);
}

TEST_F(ApplyTest, Dependents_DoNotFireAfterAFailedGroup) {
  ASSERT_TRUE(Run(PutJob{MakeJob("p")}).status.ok());
  Job c = MakeJob("c", "");
  c.parent_job = "p";
  ASSERT_TRUE(Run(PutJob{c}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  const std::int64_t g = absl::ToUnixNanos(t);
  ASSERT_TRUE(Run(RecordFire{"p", t, g, false, {"n1"}}, t).status.ok());
  Run(ExecutionFinished{Finished(MakeExecution("p", "n1", t, g), false, t)});
  EXPECT_TRUE(state_.pending_fires().empty());
}

TEST_F(ApplyTest, Ephemeral_DeletedAfterItsFirstSuccessOnly) {
  Job j = MakeJob("once");
  j.ephemeral = true;
  ASSERT_TRUE(Run(PutJob{j}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  Run(ExecutionFinished{Finished(MakeExecution("once", "n1", t, 1), false, t)});
  EXPECT_NE(state_.FindJob("once"), nullptr);
  ApplyResult r = Run(ExecutionFinished{
      Finished(MakeExecution("once", "n1", t + absl::Hours(1), 2), true, t + absl::Hours(1))});
  EXPECT_EQ(state_.FindJob("once"), nullptr);
  EXPECT_TRUE(std::holds_alternative<JobDeleted>(r.events.back()));
  EXPECT_EQ(store_.Count("once"), 0u);
}

TEST_F(ApplyTest, DeleteJob_DropsItsPendingRuns) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  ASSERT_TRUE(Run(RecordFire{"a", t, 1, false, {"n1"}}, t).status.ok());
  ASSERT_TRUE(Run(DeleteJob{"a"}).status.ok());
  EXPECT_TRUE(state_.pending_runs().empty());
}

TEST_F(ApplyTest, DeleteJob_LeavesTheRunsOfJobsWhoseNamesItPrefixes) {
  const absl::Time t = T("2026-01-01T01:00:00Z");
  for (const char* name : {"a", "a-b", "ab", "b"}) {
    ASSERT_TRUE(Run(PutJob{MakeJob(name)}).status.ok());
    ASSERT_TRUE(Run(RecordFire{name, t, -5, false, {"n1", "n2"}}, t).status.ok());
    // n1 started: running; n2 not yet: pending.
    ASSERT_TRUE(
        Run(ExecutionStarted{MakeExecution(name, "n1", t, -5), t + absl::Minutes(1)}).status.ok());
  }
  ASSERT_EQ(state_.running().size(), 4u);
  ASSERT_EQ(state_.pending_runs().size(), 4u);
  ASSERT_TRUE(Run(DeleteJob{"a"}).status.ok());
  std::set<std::string> running, pending;
  for (const auto& [key, r] : state_.running()) running.insert(key.first);
  for (const auto& [key, p] : state_.pending_runs()) pending.insert(key.job_name);
  EXPECT_EQ(running, (std::set<std::string>{"a-b", "ab", "b"}));
  EXPECT_EQ(pending, (std::set<std::string>{"a-b", "ab", "b"}));
}

// --- Executions -------------------------------------------------------------

TEST_F(ApplyTest, Executions_CountersStatusAndStats) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  Execution n1 = MakeExecution("a", "n1", t, 1);
  Execution n2 = MakeExecution("a", "n2", t, 1);
  ASSERT_TRUE(Run(ExecutionStarted{n1, t + absl::Minutes(1)}).status.ok());
  ASSERT_TRUE(Run(ExecutionStarted{n2, t + absl::Minutes(1)}).status.ok());
  EXPECT_EQ(state_.RunningCount("a"), 2u);

  ApplyResult r1 = Run(ExecutionFinished{Finished(n1, true, t + absl::Seconds(3))});
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r1.events[0]).group_status, kStatusSuccess);
  ApplyResult r2 = Run(ExecutionFinished{Finished(n2, false, t + absl::Seconds(4))});
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r2.events[0]).group_status, kStatusPartiallyFailed);
  const Job& a = Get("a");
  EXPECT_EQ(a.success_count, 1);
  EXPECT_EQ(a.error_count, 1);
  EXPECT_EQ(a.last_success, t + absl::Seconds(3));
  EXPECT_EQ(a.last_error, t + absl::Seconds(4));
  EXPECT_EQ(a.status, kStatusPartiallyFailed);
  EXPECT_EQ(state_.RunningCount("a"), 0u);
  EXPECT_EQ(state_.daily_stats().at(absl::CivilDay(2026, 1, 1)), (DayStats{1, 1}));

  // Next trigger: all fail.
  Execution n3 = MakeExecution("a", "n1", t + absl::Hours(1), 2);
  ASSERT_TRUE(Run(ExecutionFinished{Finished(n3, false, t + absl::Hours(1))}).status.ok());
  EXPECT_EQ(Get("a").status, kStatusFailed);
}

TEST_F(ApplyTest, Executions_ARetryThatSucceedsMakesTheGroupASuccess) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  Execution first = MakeExecution("a", "n1", t, 7, 1);
  Execution retry = MakeExecution("a", "n1", t + absl::Seconds(5), 7, 2);
  ASSERT_TRUE(Run(ExecutionFinished{Finished(first, false, t + absl::Seconds(1))}).status.ok());
  EXPECT_EQ(Get("a").status, kStatusFailed);
  ApplyResult r = Run(ExecutionFinished{Finished(retry, true, t + absl::Seconds(6))});
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r.events[0]).group_status, kStatusSuccess);
  EXPECT_EQ(Get("a").status, kStatusSuccess);
}

TEST_F(ApplyTest, Executions_RepeatedReportsAreAppliedOnce) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  Execution e = MakeExecution("a", "n1", t, 1);
  ASSERT_TRUE(Run(ExecutionStarted{e, t + absl::Minutes(1)}).status.ok());
  ApplyResult again = Run(ExecutionStarted{e, t + absl::Minutes(1)});
  EXPECT_TRUE(again.status.ok());
  EXPECT_TRUE(again.events.empty());
  const ExecutionFinished done{Finished(e, true, t + absl::Seconds(2))};
  ASSERT_EQ(Run(done).events.size(), 1u);
  ApplyResult dup = Run(done);
  EXPECT_TRUE(dup.status.ok());
  EXPECT_TRUE(dup.events.empty());
  EXPECT_EQ(Get("a").success_count, 1);
  EXPECT_EQ(state_.daily_stats().at(absl::CivilDay(2026, 1, 1)).success, 1);
}

// A short run's start is often never recorded (dispatcher.h,
// start_record_delay): its result settles the pending run directly.
TEST_F(ApplyTest, Executions_AResultOfARunNeverRecordedStartedIsAppliedOnce) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  const std::int64_t g = absl::ToUnixNanos(t);
  ASSERT_TRUE(Run(RecordFire{"a", t, g, false, {"n1"}}, t).status.ok());
  Execution e = MakeExecution("a", "n1", t, g);
  e.id = RunExecutionId(g, 1, "n1");
  const ExecutionFinished done{Finished(e, true, t + absl::Milliseconds(2))};
  ApplyResult r = Run(done);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r.events[0]).group_status, kStatusSuccess);
  EXPECT_TRUE(state_.pending_runs().empty());
  EXPECT_EQ(state_.RunningCount("a"), 0u);
  ASSERT_TRUE(store_.Get("a", e.id).has_value());
  EXPECT_FALSE(store_.Get("a", e.id)->running());
  ApplyResult dup = Run(done);  // the node's retried report
  EXPECT_TRUE(dup.status.ok());
  EXPECT_TRUE(dup.events.empty());
  EXPECT_EQ(Get("a").success_count, 1);
  EXPECT_EQ(Get("a").status, kStatusSuccess);
}

// The first result of a trigger sets its status alone; the later ones of the
// same trigger see every result so far.
TEST_F(ApplyTest, Executions_GroupStatusAfterAFailureThenASuccess) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  ApplyResult r1 = Run(ExecutionFinished{Finished(MakeExecution("a", "n1", t, 5), false, t)});
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r1.events[0]).group_status, kStatusFailed);
  ApplyResult r2 = Run(ExecutionFinished{Finished(MakeExecution("a", "n2", t, 5), true, t)});
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r2.events[0]).group_status, kStatusPartiallyFailed);
  // A late success of an older trigger keeps the newer trigger's status.
  ApplyResult r3 = Run(ExecutionFinished{Finished(MakeExecution("a", "n3", t, 4), true, t)});
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r3.events[0]).group_status, kStatusSuccess);
  EXPECT_EQ(Get("a").status, kStatusPartiallyFailed);
  // A newer trigger's first result.
  const absl::Time later = t + absl::Hours(1);
  ApplyResult r4 =
      Run(ExecutionFinished{Finished(MakeExecution("a", "n1", later, 6), true, later)});
  EXPECT_EQ(std::get<ExecutionFinishedEvent>(r4.events[0]).group_status, kStatusSuccess);
  EXPECT_EQ(Get("a").status, kStatusSuccess);
}

TEST_F(ApplyTest, Executions_ForADeletedJobAreRefused) {
  ApplyResult r = Run(ExecutionFinished{Finished(
      MakeExecution("gone", "n1", T("2026-01-01T01:00:00Z"), 1), true, T("2026-01-01T01:00:01Z"))});
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status.message(), "received execution done for a deleted job \"gone\"");
}

TEST_F(ApplyTest, Executions_OutputKeepsTheLast256000Bytes) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  std::string output(300'000, 'x');
  output.replace(output.size() - 3, 3, "END");
  Execution e = MakeExecution("a", "n1", T("2026-01-01T01:00:00Z"), 1);
  ASSERT_TRUE(
      Run(ExecutionFinished{Finished(e, true, T("2026-01-01T01:00:01Z"), output)}).status.ok());
  auto stored = store_.Get("a", e.id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->output.size(), kMaxOutputBytes);
  EXPECT_EQ(stored->output.substr(stored->output.size() - 3), "END");
}

TEST_F(ApplyTest, Executions_AtMost100KeptAndRunningOnesNeverPruned) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t0 = T("2026-01-01T00:00:00Z");
  Execution oldest_running = MakeExecution("a", "slow", t0, 1);
  ASSERT_TRUE(Run(ExecutionStarted{oldest_running, t0 + absl::Hours(10)}).status.ok());
  for (int i = 1; i <= 150; ++i) {
    Execution e = MakeExecution("a", "n1", t0 + absl::Minutes(i), i + 1);
    ASSERT_TRUE(Run(ExecutionFinished{Finished(e, true, t0 + absl::Minutes(i) + absl::Seconds(1))})
                    .status.ok());
  }
  EXPECT_EQ(store_.Count("a"), kMaxExecutionsPerJob);
  EXPECT_TRUE(store_.Get("a", oldest_running.id).has_value());
  // The 99 newest finished ones survive.
  EXPECT_FALSE(store_.Get("a", ExecutionKey(t0 + absl::Minutes(51), "n1")).has_value());
  EXPECT_TRUE(store_.Get("a", ExecutionKey(t0 + absl::Minutes(52), "n1")).has_value());
}

TEST_F(ApplyTest, DeleteExecutions_ResetsCountersAndKeepsRunningOnes) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  Execution done = MakeExecution("a", "n1", t, 1);
  Execution running = MakeExecution("a", "n2", t, 1);
  ASSERT_TRUE(Run(ExecutionFinished{Finished(done, false, t)}).status.ok());
  ASSERT_TRUE(Run(ExecutionStarted{running, t + absl::Minutes(1)}).status.ok());
  ApplyResult r = Run(DeleteExecutions{"a"});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.job->error_count, 0);
  EXPECT_FALSE(r.job->last_error.has_value());
  EXPECT_EQ(store_.Count("a"), 1u);
  EXPECT_EQ(state_.RunningCount("a"), 1u);
}

TEST_F(ApplyTest, RenewLeases_OnlyTheExecutingNodeExtendsItsLeases) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  const absl::Time t = T("2026-01-01T01:00:00Z");
  Execution e = MakeExecution("a", "n1", t, 1);
  ASSERT_TRUE(Run(ExecutionStarted{e, t + absl::Seconds(30)}).status.ok());
  Run(RenewLeases{"n2", {{"a", e.id}}, t + absl::Minutes(5)});
  EXPECT_EQ(state_.running().at({"a", e.id}).lease_until, t + absl::Seconds(30));
  Run(RenewLeases{"n1", {{"a", e.id}, {"a", "unknown"}}, t + absl::Minutes(5)});
  EXPECT_EQ(state_.running().at({"a", e.id}).lease_until, t + absl::Minutes(5));
  Run(RenewLeases{"n1", {{"a", e.id}}, t + absl::Minutes(1)});  // never shortened
  EXPECT_EQ(state_.running().at({"a", e.id}).lease_until, t + absl::Minutes(5));
}

TEST_F(ApplyTest, SetPaused_IsReplicatedState) {
  EXPECT_FALSE(state_.paused());
  ApplyResult r = Run(SetPaused{true});
  EXPECT_TRUE(state_.paused());
  EXPECT_TRUE(std::get<PauseChanged>(r.events[0]).paused);
}

TEST_F(ApplyTest, SharedJobsAreNotChangedByLaterApplies) {
  ASSERT_TRUE(Run(PutJob{MakeJob("a")}).status.ok());
  std::shared_ptr<const Job> before = state_.ShareJob("a");  // as a snapshot would hold it
  ASSERT_TRUE(Run(SetJobDisabled{"a", true}).status.ok());
  EXPECT_FALSE(before->disabled);
  EXPECT_TRUE(state_.FindJob("a")->disabled);
  ASSERT_TRUE(Run(DeleteJob{"a"}).status.ok());
  EXPECT_EQ(before->name, "a");
}

// --- Determinism --------------------------------------------------------------

// Applying the same random log to two fresh states gives identical states.
TEST(Determinism, SameLogSameState) {
  std::mt19937 rng(42);
  std::vector<Entry> log;
  absl::Time now = T("2026-01-01T00:00:00Z");
  const char* names[] = {"a", "b", "c", "d"};
  std::vector<Execution> started;
  for (int i = 0; i < 3000; ++i) {
    now += absl::Seconds(std::uniform_int_distribution<int>(0, 90)(rng));
    const std::string name = names[rng() % 4];
    switch (rng() % 8) {
      case 0: {
        Job j = MakeJob(name, rng() % 2 ? "@every 5m" : "0 */10 * * * *");
        if (rng() % 3 == 0) j.parent_job = names[rng() % 4];
        if (j.parent_job == j.name) j.parent_job.clear();
        log.push_back({now, PutJob{j}});
        break;
      }
      case 1:
        log.push_back({now, DeleteJob{name}});
        break;
      case 2:
        log.push_back({now, RecordFire{name, now, absl::ToUnixNanos(now), rng() % 5 == 0}});
        break;
      case 3:
      case 4: {
        Execution e = MakeExecution(name, "n" + std::to_string(rng() % 3), now,
                                    absl::ToUnixNanos(now), 1 + rng() % 2);
        started.push_back(e);
        log.push_back({now, ExecutionStarted{e, now + absl::Minutes(1)}});
        break;
      }
      case 5:
      case 6:
        if (!started.empty()) {
          Execution e = started[rng() % started.size()];
          log.push_back({now, ExecutionFinished{Finished(e, rng() % 2, now, "out")}});
        }
        break;
      default:
        log.push_back({now, DeleteExecutions{name}});
        break;
    }
  }
  MemoryExecutionStore store1, store2;
  State s1(&store1), s2(&store2);
  for (const Entry& e : log) {
    ApplyResult r1 = Apply(s1, e);
    ApplyResult r2 = Apply(s2, e);
    ASSERT_EQ(r1.status, r2.status);
    ASSERT_EQ(s1.CheckInvariants(), "");
  }
  EXPECT_TRUE(s1.SameReplicatedMemory(s2));
  std::vector<std::string> job_names;
  s1.jobs().ForEachByName([&](const Job& j) {
    job_names.push_back(j.name);
    return true;
  });
  for (const std::string& name : job_names) {
    std::vector<Execution> e1, e2;
    store1.Scan(name, true, [&](const Execution& x) {
      e1.push_back(x);
      return true;
    });
    store2.Scan(name, true, [&](const Execution& x) {
      e2.push_back(x);
      return true;
    });
    EXPECT_EQ(e1, e2);
  }
  EXPECT_FALSE(s1.jobs().empty());
}

}  // namespace
}  // namespace ckron::fsm
