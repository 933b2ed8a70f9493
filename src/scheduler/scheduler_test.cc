#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <map>

#include "cron/schedule.h"
#include "cron/testing/time_text.h"

namespace ckron::scheduler {
namespace {

using cron::testing::T;

class FakeJobs final : public JobSource {
 public:
  fsm::Job& Add(const std::string& name, const std::string& schedule,
                absl::Time anchor = absl::UnixEpoch()) {
    fsm::Job& j = jobs_[name];
    j.name = name;
    j.schedule = schedule;
    j.schedule_anchor = anchor;
    return j;
  }
  void Remove(const std::string& name) { jobs_.erase(name); }
  fsm::Job& operator[](const std::string& name) { return jobs_.at(name); }

  std::shared_ptr<const fsm::Job> Find(const std::string& name) const override {
    auto it = jobs_.find(name);
    return it == jobs_.end() ? nullptr : std::make_shared<const fsm::Job>(it->second);
  }
  void ForEach(const std::function<void(const fsm::Job&)>& visit) const override {
    for (const auto& [name, job] : jobs_) visit(job);
  }

 private:
  std::map<std::string, fsm::Job> jobs_;
};

using Intents = std::vector<FireIntent>;

TEST(Scheduler, FiresInTimeOrderAndRequeues) {
  FakeJobs jobs;
  jobs.Add("every-20s", "*/20 * * * * *", T("2026-01-01T00:00:01Z"));
  jobs.Add("every-30s", "*/30 * * * * *", T("2026-01-01T00:00:01Z"));
  Scheduler s(&jobs);
  EXPECT_TRUE(s.Load(T("2026-01-01T00:00:01Z")).empty());
  EXPECT_EQ(s.queued_jobs(), 2u);
  EXPECT_EQ(s.NextDue(), T("2026-01-01T00:00:20Z"));
  EXPECT_TRUE(s.PopDue(T("2026-01-01T00:00:19Z")).empty());
  EXPECT_EQ(s.PopDue(T("2026-01-01T00:01:00Z")),
            (Intents{{"every-20s", T("2026-01-01T00:00:20Z")},
                     {"every-30s", T("2026-01-01T00:00:30Z")},
                     {"every-20s", T("2026-01-01T00:00:40Z")},
                     {"every-20s", T("2026-01-01T00:01:00Z")},
                     {"every-30s", T("2026-01-01T00:01:00Z")}}));
  EXPECT_EQ(s.NextDue(), T("2026-01-01T00:01:20Z"));
}

TEST(Scheduler, PopDueHonoursItsLimit) {
  FakeJobs jobs;
  for (int i = 0; i < 10; ++i) jobs.Add("j" + std::to_string(i), "0 * * * * *");
  Scheduler s(&jobs);
  s.Load(T("2026-01-01T00:00:30Z"));
  EXPECT_EQ(s.PopDue(T("2026-01-01T00:01:00Z"), 4).size(), 4u);
  EXPECT_EQ(s.PopDue(T("2026-01-01T00:01:00Z")).size(), 6u);
}

TEST(Scheduler, DisabledDeletedAndUnschedulableJobsAreNotQueued) {
  FakeJobs jobs;
  jobs.Add("on", "@hourly");
  jobs.Add("off", "@hourly").disabled = true;
  jobs.Add("child", "");
  jobs.Add("manual", "@manually");
  jobs.Add("past", "@at 2020-01-01T00:00:00Z");
  Scheduler s(&jobs);
  s.Load(T("2026-01-01T00:30:00Z"));
  EXPECT_EQ(s.queued_jobs(), 1u);

  jobs["off"].disabled = false;
  s.Refresh("off", T("2026-01-01T00:40:00Z"));
  EXPECT_EQ(s.queued_jobs(), 2u);
  jobs["on"].disabled = true;
  s.Refresh("on", T("2026-01-01T00:41:00Z"));
  jobs.Remove("off");
  s.Refresh("off", T("2026-01-01T00:42:00Z"));
  EXPECT_EQ(s.queued_jobs(), 0u);
  EXPECT_TRUE(s.PopDue(T("2026-01-02T00:00:00Z")).empty());
}

TEST(Scheduler, RefreshUsesTheNewSchedule) {
  FakeJobs jobs;
  jobs.Add("a", "@hourly");
  Scheduler s(&jobs);
  s.Load(T("2026-01-01T00:30:00Z"));
  jobs["a"].schedule = "0 45 * * * *";
  s.Refresh("a", T("2026-01-01T00:31:00Z"));
  EXPECT_EQ(s.PopDue(T("2026-01-01T01:00:00Z")), (Intents{{"a", T("2026-01-01T00:45:00Z")}}));
}

TEST(Scheduler, ALateLoopFiresEveryIntervalItMissed) {
  FakeJobs jobs;
  jobs.Add("a", "* * * * * *");
  Scheduler s(&jobs);
  s.Load(T("2026-01-01T00:00:00.5Z"));
  EXPECT_EQ(s.PopDue(T("2026-01-01T00:00:03.2Z")), (Intents{{"a", T("2026-01-01T00:00:01Z")},
                                                            {"a", T("2026-01-01T00:00:02Z")},
                                                            {"a", T("2026-01-01T00:00:03Z")}}));
}

TEST(Scheduler, EveryKeepsItsPhaseAcrossLoads) {
  FakeJobs jobs;
  jobs.Add("a", "@every 10m", T("2026-01-01T00:03:00Z"));
  Scheduler s(&jobs);
  s.Load(T("2026-01-01T05:00:00Z"));
  EXPECT_EQ(s.NextDue(), T("2026-01-01T05:03:00Z"));
}

// --- Misfires (semantics §3) -----------------------------------------------

TEST(Misfire, RunOnceCatchesUpTheNewestMissedFireWithinTheDeadline) {
  FakeJobs jobs;
  jobs.Add("a", "*/10 * * * * *").last_fire = T("2026-01-01T00:00:00Z");
  Scheduler s(&jobs);
  // Down from 00:00:00 to 00:00:45: 10..40 missed; 40 is 5 s old.
  EXPECT_EQ(s.Load(T("2026-01-01T00:00:45Z")), (Intents{{"a", T("2026-01-01T00:00:40Z"), true}}));
  EXPECT_EQ(s.skipped_fires(), 3u);
  EXPECT_EQ(s.NextDue(), T("2026-01-01T00:00:50Z"));
}

TEST(Misfire, RunOnceSkipsFiresOlderThanTheDeadline) {
  FakeJobs jobs;
  fsm::Job& a = jobs.Add("a", "0 0 * * * *");
  a.last_fire = T("2026-01-01T00:00:00Z");
  a.starting_deadline = absl::Minutes(5);
  Scheduler s(&jobs);
  // 01:00 was missed 10 minutes ago: beyond 5 minutes.
  EXPECT_TRUE(s.Load(T("2026-01-01T01:10:00Z")).empty());
  EXPECT_EQ(s.skipped_fires(), 1u);
  EXPECT_EQ(s.NextDue(), T("2026-01-01T02:00:00Z"));
}

TEST(Misfire, RunOnceAfterALongOutageDoesNotWalkEverySecond) {
  FakeJobs jobs;
  jobs.Add("a", "* * * * * *").last_fire = T("2026-01-01T00:00:00Z");
  Scheduler s(&jobs);
  EXPECT_EQ(s.Load(T("2026-01-03T00:00:00.5Z")), (Intents{{"a", T("2026-01-03T00:00:00Z"), true}}));
  EXPECT_GE(s.skipped_fires(), 100'000u);  // counted up to the cap
}

TEST(Misfire, SkipRunsNothingMissed) {
  FakeJobs jobs;
  fsm::Job& a = jobs.Add("a", "*/10 * * * * *");
  a.last_fire = T("2026-01-01T00:00:00Z");
  a.misfire_policy = "skip";
  Scheduler s(&jobs);
  EXPECT_TRUE(s.Load(T("2026-01-01T00:00:45Z")).empty());
  EXPECT_EQ(s.skipped_fires(), 4u);
}

TEST(Misfire, RunAllCatchesUpOldestFirstUpToTheBound) {
  FakeJobs jobs;
  fsm::Job& a = jobs.Add("a", "*/10 * * * * *");
  a.last_fire = T("2026-01-01T00:00:00Z");
  a.misfire_policy = "run_all";
  Scheduler s(&jobs, {.max_catch_up = 3});
  EXPECT_EQ(s.Load(T("2026-01-01T00:01:05Z")), (Intents{{"a", T("2026-01-01T00:00:10Z"), true},
                                                        {"a", T("2026-01-01T00:00:20Z"), true},
                                                        {"a", T("2026-01-01T00:00:30Z"), true}}));
  EXPECT_EQ(s.skipped_fires(), 3u);  // 40, 50, 60
  EXPECT_EQ(s.NextDue(), T("2026-01-01T00:01:10Z"));
}

TEST(Misfire, AJobThatNeverFiredCountsFromItsAnchor) {
  FakeJobs jobs;
  jobs.Add("a", "0 * * * * *", T("2026-01-01T00:00:30Z"));  // created at 00:00:30
  Scheduler s(&jobs);
  EXPECT_EQ(s.Load(T("2026-01-01T00:01:20Z")), (Intents{{"a", T("2026-01-01T00:01:00Z"), true}}));
}

TEST(Misfire, AFireDueExactlyNowIsOnTimeNotMissed) {
  FakeJobs jobs;
  jobs.Add("a", "0 * * * * *").last_fire = T("2026-01-01T00:00:00Z");
  Scheduler s(&jobs);
  EXPECT_TRUE(s.Load(T("2026-01-01T00:01:00Z")).empty());
  EXPECT_EQ(s.PopDue(T("2026-01-01T00:01:00Z")), (Intents{{"a", T("2026-01-01T00:01:00Z")}}));
}

TEST(Scheduler, SupersededEntriesDoNotAccumulate) {
  FakeJobs jobs;
  jobs.Add("a", "@hourly");
  Scheduler s(&jobs);
  s.Load(T("2026-01-01T00:00:00Z"));
  for (int i = 0; i < 100'000; ++i) s.Refresh("a", T("2026-01-01T00:00:00Z"));
  EXPECT_EQ(s.queued_jobs(), 1u);
  EXPECT_EQ(s.PopDue(T("2026-01-01T01:00:00Z")).size(), 1u);
}

}  // namespace
}  // namespace ckron::scheduler
