#include "scheduler/scheduler_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>

namespace ckron::scheduler {
namespace {

// Jobs behind a lock: the test thread changes them while the loop reads.
class LockedJobs final : public JobSource {
 public:
  void Put(fsm::Job job) {
    std::lock_guard lock(mu_);
    jobs_[job.name] = std::move(job);
  }
  void Erase(const std::string& name) {
    std::lock_guard lock(mu_);
    jobs_.erase(name);
  }
  std::shared_ptr<const fsm::Job> Find(const std::string& name) const override {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(name);
    return it == jobs_.end() ? nullptr : std::make_shared<const fsm::Job>(it->second);
  }
  void ForEach(const std::function<void(const fsm::Job&)>& visit) const override {
    std::lock_guard lock(mu_);
    for (const auto& [name, job] : jobs_) visit(job);
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, fsm::Job> jobs_;
};

class RecordingSink final : public FireSink {
 public:
  void OnFires(std::vector<FireIntent> fires) override {
    std::lock_guard lock(mu_);
    for (auto& f : fires) fires_.push_back(std::move(f));
    cv_.notify_all();
  }
  // Waits (bounded) until at least n fires arrived; returns them.
  std::vector<FireIntent> WaitFor(std::size_t n, absl::Duration limit = absl::Seconds(10)) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(limit), [&] { return fires_.size() >= n; });
    return fires_;
  }
  std::vector<FireIntent> Fires() {
    std::lock_guard lock(mu_);
    return fires_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FireIntent> fires_;
};

fsm::Job EverySecond(const std::string& name, absl::Time anchor) {
  fsm::Job j;
  j.name = name;
  j.schedule = "* * * * * *";
  j.schedule_anchor = anchor;
  j.last_fire = anchor;
  return j;
}

TEST(SchedulerLoop, FiresEachSecondOnceInOrder) {
  LockedJobs jobs;
  jobs.Put(EverySecond("a", absl::Now()));
  RecordingSink sink;
  SchedulerLoop loop(&jobs, &sink, &SystemClock::Get());
  loop.Start();
  std::vector<FireIntent> fires = sink.WaitFor(3);
  loop.Stop();
  ASSERT_GE(fires.size(), 3u);
  std::set<absl::Time> seen;
  for (std::size_t i = 0; i < fires.size(); ++i) {
    EXPECT_EQ(fires[i].job_name, "a");
    EXPECT_FALSE(fires[i].catch_up);
    EXPECT_EQ(absl::ToUnixNanos(fires[i].scheduled) % 1'000'000'000, 0);
    EXPECT_TRUE(seen.insert(fires[i].scheduled).second) << "fired twice";
    if (i > 0) {
      EXPECT_EQ(fires[i].scheduled - fires[i - 1].scheduled, absl::Seconds(1));
    }
  }
}

TEST(SchedulerLoop, NothingFiresAfterStopReturns) {
  LockedJobs jobs;
  jobs.Put(EverySecond("a", absl::Now()));
  RecordingSink sink;
  SchedulerLoop loop(&jobs, &sink, &SystemClock::Get());
  loop.Start();
  sink.WaitFor(1);
  loop.Stop();
  const std::size_t at_stop = sink.Fires().size();
  absl::SleepFor(absl::Milliseconds(2200));  // two more fire instants pass
  EXPECT_EQ(sink.Fires().size(), at_stop);
  EXPECT_FALSE(loop.running());
}

TEST(SchedulerLoop, StartCatchesUpMissedFiresFirst) {
  LockedJobs jobs;
  fsm::Job j = EverySecond("a", absl::Now() - absl::Seconds(30));  // last fired 30 s ago
  jobs.Put(j);
  RecordingSink sink;
  SchedulerLoop loop(&jobs, &sink, &SystemClock::Get());
  loop.Start();
  std::vector<FireIntent> fires = sink.WaitFor(1);
  loop.Stop();
  ASSERT_FALSE(fires.empty());
  EXPECT_TRUE(fires[0].catch_up);  // run_once: the newest missed second
  EXPECT_GE(loop.skipped_fires(), 25u);
}

TEST(SchedulerLoop, ChangedJobsAreRequeuedOrDropped) {
  LockedJobs jobs;
  RecordingSink sink;
  SchedulerLoop loop(&jobs, &sink, &SystemClock::Get());
  loop.Start();
  jobs.Put(EverySecond("late", absl::Now()));
  loop.JobChanged("late");  // created after Start
  ASSERT_GE(sink.WaitFor(1).size(), 1u);
  jobs.Erase("late");
  loop.JobChanged("late");
  absl::SleepFor(absl::Milliseconds(300));  // let the loop apply it
  const std::size_t after_delete = sink.Fires().size();
  absl::SleepFor(absl::Milliseconds(2200));
  EXPECT_LE(sink.Fires().size(), after_delete + 1);  // at most one already in flight
  loop.Stop();
}

// Records when each fire reached the sink.
class ArrivalSink final : public FireSink {
 public:
  void OnFires(std::vector<FireIntent> fires) override {
    const absl::Time now = absl::Now();
    std::lock_guard lock(mu_);
    for (auto& f : fires) arrivals_.emplace_back(std::move(f), now);
    cv_.notify_all();
  }
  std::vector<std::pair<FireIntent, absl::Time>> WaitFor(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return arrivals_.size() >= n; });
    return arrivals_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<FireIntent, absl::Time>> arrivals_;
};

TEST(SchedulerLoop, WithALeadAllowJobsFireAheadAndForbidJobsWaitForTheirInstant) {
  LockedJobs jobs;
  fsm::Job allow = EverySecond("allow", absl::Now());
  fsm::Job forbid = EverySecond("forbid", absl::Now());
  forbid.concurrency = "forbid";
  fsm::Job replace = EverySecond("replace", absl::Now());
  replace.concurrency = "replace";
  jobs.Put(allow);
  jobs.Put(forbid);
  jobs.Put(replace);
  ArrivalSink sink;
  SchedulerLoopOptions options;
  options.lead = absl::Milliseconds(400);
  SchedulerLoop loop(&jobs, &sink, &SystemClock::Get(), options);
  loop.Start();
  const auto arrivals = sink.WaitFor(9);  // three instants
  loop.Stop();
  ASSERT_GE(arrivals.size(), 9u);
  std::map<std::string, std::set<absl::Time>> seen;
  int allow_early = 0;
  for (const auto& [fire, at] : arrivals) {
    SCOPED_TRACE(fire.job_name + " at " + absl::FormatTime(fire.scheduled));
    EXPECT_TRUE(seen[fire.job_name].insert(fire.scheduled).second) << "fired twice";
    if (fire.job_name == "allow") {
      // Never more than the lead ahead; ahead at least once (the loop is
      // not late by 400 ms at every one of three instants).
      EXPECT_GE(at, fire.scheduled - options.lead);
      if (at < fire.scheduled) ++allow_early;
    } else {
      EXPECT_GE(at, fire.scheduled);  // forbid and replace: never ahead
    }
  }
  EXPECT_GT(allow_early, 0);
}

}  // namespace
}  // namespace ckron::scheduler
