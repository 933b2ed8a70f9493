// Fires across leader failovers, with real `ckron agent` processes on
// 127.0.0.1 (issue #5, docs/semantics.md §3): three servers and one plain
// agent tagged kind=worker; 20 jobs `@every 1s` append "<job> <unix ns>"
// to a file of their own. The leader is SIGKILLed every 20 s, six times
// (CKRON_FAILOVER_KILLS overrides), and restarted each time. Then:
//
//   - no doubled fire: the runs written to the files and the executions the
//     cluster committed match one to one (each line falls inside exactly one
//     execution, each execution holds exactly one line), and every fire of a
//     job keeps the schedule's phase (no second fire inside one second);
//   - every missed second is caught up as `run_once` says: when a new leader
//     took over, the newest fire due then ran (recorded by the old leader or
//     caught up, late, by the new one), and each gap in a job's fires (more
//     than one second missed) ends with that fire: the gap's last second
//     ran and the ones before it did not.
//
// Executions are read every few seconds during the run (a job keeps only its
// last 100) and merged by id.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "agent_cluster.h"

namespace ckron::testing {
namespace {

constexpr int kJobs = 20;
constexpr absl::Duration kKillEvery = absl::Seconds(20);
// The takeover instant comes from the new leader's log line, written just
// before its scheduler reads the clock.
constexpr absl::Duration kLogSlack = absl::Milliseconds(250);

int Kills() {
  const char* v = std::getenv("CKRON_FAILOVER_KILLS");
  return v != nullptr ? std::max(1, std::atoi(v)) : 6;
}

std::string JobName(int k) {
  return "fo-" + std::string(k < 10 ? "0" : "") + std::to_string(k);
}

// When each server began leading: its "starting the scheduler" log lines.
std::vector<absl::Time> Takeovers(const AgentCluster& c, int servers) {
  static const std::regex kLine(
      R"re(time="([^"]+)" level=info module=agent node=\S+ msg="agent: leading term \d+: starting the scheduler)re");
  std::vector<absl::Time> out;
  for (int i = 0; i < servers; ++i) {
    std::istringstream log(c.FullLog(i));
    for (std::string line; std::getline(log, line);) {
      std::smatch m;
      absl::Time t;
      std::string err;
      if (std::regex_search(line, m, kLine) &&
          absl::ParseTime("%Y-%m-%dT%H:%M:%E3SZ", m[1].str(), &t, &err)) {
        out.push_back(t);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The instants (unix ns) the job's runs wrote to its file.
std::vector<std::int64_t> Lines(const std::filesystem::path& file) {
  std::vector<std::int64_t> out;
  std::ifstream in(file);
  for (std::string name, ns; in >> name >> ns;) out.push_back(std::stoll(ns));
  return out;
}

class SchedulingFailover : public ::testing::Test {
 protected:
  // Merges every job's executions as some running server has them.
  void Poll() {
    for (int k = 0; k < kJobs; ++k) {
      for (int i = 0; i < 3; ++i) {
        if (!c_.Running(i)) continue;
        auto r = c_.Executions(i, JobName(k));
        if (!r.ok()) continue;
        for (fsm::Execution& e : *r) seen_[JobName(k)][e.id] = std::move(e);
        break;
      }
    }
  }

  // Writes through any running server until one acknowledges.
  Status Put(const fsm::Job& job) {
    Status s;
    for (int attempt = 0; attempt < 30; ++attempt) {
      const int i = attempt % 3;
      if (!c_.Running(i)) continue;
      s = c_.PutJob(i, job, 5s);
      if (s.ok()) return s;
    }
    return s;
  }

  // Sleeps `d`, polling the executions every 4 s.
  void Wait(absl::Duration d) {
    const absl::Time end = absl::Now() + d;
    while (absl::Now() < end) {
      absl::SleepFor(std::min(absl::Seconds(4), end - absl::Now()));
      Poll();
    }
  }

  AgentCluster c_{"ckron-fo-sched"};
  raft::testing::TempDir out_{"ckron-fo-out"};
  std::map<std::string, std::map<std::string, fsm::Execution>> seen_;  // job -> id -> execution
};

TEST_F(SchedulingFailover, KillingTheLeaderNeverDoublesAFireAndCatchesUpPerRunOnce) {
  ASSERT_TRUE(c_.StartServers(3).ok()) << c_.Describe();
  const int worker = c_.Add({.server = false, .extra_args = {"--tag", "kind=worker"}});
  ASSERT_TRUE(c_.Start(worker, {c_.gossip_addr(0), c_.gossip_addr(1)}).ok()) << c_.Describe();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Eventually([&] { return c_.MemberStatus(i, c_.name(worker)) == "alive"; }))
        << c_.Describe();
  }

  std::vector<fsm::Job> jobs;
  for (int k = 0; k < kJobs; ++k) {
    fsm::Job job;
    job.name = JobName(k);
    job.schedule = "@every 1s";
    job.executor = "shell";
    job.executor_config = {{"command", "echo \"$ENV_JOB_NAME $(date +%s%N)\" >> " +
                                           out_.path().string() + "/" + job.name},
                           {"shell", "true"}};
    job.tags = {{"kind", "worker"}};
    ASSERT_TRUE(Put(job).ok()) << c_.Describe();
    jobs.push_back(job);
  }

  // Kill the leader every 20 s, restart it once a new one leads.
  std::vector<absl::Time> kills;
  for (int n = 0; n < Kills(); ++n) {
    Wait(kKillEvery);
    const int leader = c_.WaitForLeader();
    ASSERT_GE(leader, 0) << c_.Describe();
    kills.push_back(absl::Now());
    c_.Kill(leader);
    ASSERT_GE(c_.WaitForLeader(30s, leader), 0) << c_.Describe();
    std::vector<std::string> join;
    for (int i = 0; i < 3; ++i) {
      if (i != leader) join.push_back(c_.gossip_addr(i));
    }
    ASSERT_TRUE(c_.Start(leader, join).ok()) << c_.Describe();
  }
  Wait(absl::Seconds(5));

  // Stop firing and let every run finish and be reported.
  for (fsm::Job& job : jobs) {
    job.disabled = true;
    ASSERT_TRUE(Put(job).ok()) << c_.Describe();
  }
  ASSERT_TRUE(Eventually(
      [&] {
        Poll();
        for (const auto& [name, es] : seen_) {
          for (const auto& [id, e] : es) {
            if (e.running()) return false;
          }
        }
        return true;
      },
      60s))
      << c_.Describe();
  Poll();

  const std::vector<absl::Time> takeovers = Takeovers(c_, 3);
  int fires = 0, gaps = 0, missed = 0, late = 0;
  for (const fsm::Job& job : jobs) {
    const auto& es = seen_[job.name];
    ASSERT_FALSE(es.empty()) << job.name << " never ran\n" << c_.Describe();
    std::vector<fsm::Execution> runs;
    for (const auto& [id, e] : es) runs.push_back(e);
    std::sort(runs.begin(), runs.end(),
              [](const auto& a, const auto& b) { return a.group < b.group; });
    fires += static_cast<int>(runs.size());

    // Every fire keeps the phase, ran once on the worker and succeeded.
    const std::int64_t phase = runs[0].group % 1'000'000'000;
    for (const fsm::Execution& e : runs) {
      EXPECT_EQ(e.group % 1'000'000'000, phase) << job.name << " fired off its phase: " << e.id;
      EXPECT_EQ(e.node_name, c_.name(worker)) << e.id;
      EXPECT_EQ(e.attempt, 1u) << e.id;
      EXPECT_TRUE(e.success) << job.name << " " << e.id << ": " << e.output;
    }

    // One to one: the lines the runs wrote and the committed executions.
    const std::vector<std::int64_t> lines = Lines(out_.path() / job.name);
    std::map<std::string, int> lines_in;
    for (std::int64_t ns : lines) {
      const absl::Time t = absl::FromUnixNanos(ns);
      int holders = 0;
      for (const fsm::Execution& e : runs) {
        if (e.started_at <= t && t <= *e.finished_at) {
          ++holders;
          ++lines_in[e.id];
        }
      }
      EXPECT_EQ(holders, 1) << job.name << ": the line written at " << absl::FormatTime(t)
                            << " belongs to " << holders << " executions";
    }
    EXPECT_EQ(lines.size(), runs.size()) << job.name;
    for (const fsm::Execution& e : runs) {
      EXPECT_EQ(lines_in[e.id], 1)
          << job.name << ": execution " << e.id << " wrote " << lines_in[e.id] << " lines";
    }

    // At each takeover the newest fire due had been recorded or was caught
    // up (unless it fell due while the log line was written: ambiguous).
    std::set<std::int64_t> groups;
    for (const fsm::Execution& e : runs) groups.insert(e.group);
    const absl::Time first = absl::FromUnixNanos(runs.front().group);
    const absl::Time last = absl::FromUnixNanos(runs.back().group);
    for (const absl::Time t : takeovers) {
      if (t <= first || t >= last) continue;
      const std::int64_t behind = (absl::ToUnixNanos(t) - phase) % 1'000'000'000;
      const absl::Time newest = t - absl::Nanoseconds(behind);
      if (t - newest < kLogSlack) continue;
      EXPECT_TRUE(groups.contains(absl::ToUnixNanos(newest)))
          << job.name << ": the fire due at " << absl::FormatTime(newest)
          << " when a leader took over at " << absl::FormatTime(t) << " never ran";
      for (const fsm::Execution& e : runs) {
        if (absl::FromUnixNanos(e.group) < t && e.started_at > t) ++late;
      }
    }

    // run_once: each gap ends at the newest fire due at the next takeover.
    for (std::size_t k = 1; k < runs.size(); ++k) {
      const absl::Time before = absl::FromUnixNanos(runs[k - 1].group);
      const absl::Time after = absl::FromUnixNanos(runs[k].group);
      if (after - before <= absl::Milliseconds(1500)) continue;
      ++gaps;
      missed += static_cast<int>((after - before) / absl::Seconds(1)) - 1;
      auto t = std::upper_bound(takeovers.begin(), takeovers.end(), before);
      ASSERT_NE(t, takeovers.end())
          << job.name << ": a gap after " << absl::FormatTime(before) << " with no new leader";
      EXPECT_LE(after, *t + kLogSlack)
          << job.name << ": the gap " << absl::FormatTime(before) << " .. "
          << absl::FormatTime(after) << " was not caught up when a leader took over at "
          << absl::FormatTime(*t) << " (run_once runs the newest missed fire)";
      EXPECT_GT(after, *t - absl::Seconds(1) - kLogSlack)
          << job.name << ": the catch-up fire " << absl::FormatTime(after)
          << " is not the newest due at the takeover " << absl::FormatTime(*t);
    }
  }
  // No more gaps than failovers per job.
  EXPECT_LE(gaps, kJobs * Kills());
  std::printf(
      "failover: %d kills, %d takeovers, %d fires, %d run late by a new leader, %d gaps, "
      "%d seconds skipped (run_once)\n",
      Kills(), static_cast<int>(takeovers.size()), fires, late, gaps, missed);
  for (std::size_t n = 0; n < kills.size(); ++n) {
    auto t = std::upper_bound(takeovers.begin(), takeovers.end(), kills[n]);
    if (t != takeovers.end()) {
      std::printf("failover: kill %zu -> new leader's scheduler after %s\n", n + 1,
                  absl::FormatDuration(*t - kills[n]).c_str());
    }
  }
}

}  // namespace
}  // namespace ckron::testing

namespace ckron::testing {
namespace {

// A graceful shutdown (SIGTERM) of an agent lets its running executions
// finish within --shutdown-grace, cancels the rest, and delivers every result
// before the agent leaves.
TEST(AgentShutdown, RunningExecutionsFinishWithinTheGraceThenAreCancelled) {
  AgentCluster c("ckron-shutdown");
  ASSERT_TRUE(c.StartServers(1).ok()) << c.Describe();
  const int worker =
      c.Add({.server = false, .extra_args = {"--tag", "kind=worker", "--shutdown-grace", "4s"}});
  ASSERT_TRUE(c.Start(worker, {c.gossip_addr(0)}).ok()) << c.Describe();
  ASSERT_TRUE(Eventually([&] { return c.MemberStatus(0, c.name(worker)) == "alive"; }));

  const std::string at =
      "@at " +
      absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Seconds(2), absl::UTCTimeZone());
  for (const auto& [name, command] : std::vector<std::pair<std::string, std::string>>{
           {"short", "echo started; sleep 2; echo done"}, {"long", "echo started; sleep 60"}}) {
    fsm::Job job;
    job.name = name;
    job.schedule = at;
    job.executor = "shell";
    job.executor_config = {{"command", command}, {"shell", "true"}};
    job.tags = {{"kind", "worker"}};
    ASSERT_TRUE(c.PutJob(0, job).ok());
  }
  const auto running = [&](const std::string& job) {
    auto r = c.Executions(0, job);
    return r.ok() && r->size() == 1 && (*r)[0].running();
  };
  ASSERT_TRUE(Eventually([&] { return running("short") && running("long"); }, 60s)) << c.Describe();

  c.Signal(worker, SIGTERM);
  EXPECT_EQ(c.WaitExit(worker, 60s), 0) << c.Describe();
  // Both results were delivered before the agent left.
  auto short_run = c.Executions(0, "short", /*with_output=*/true);
  auto long_run = c.Executions(0, "long", /*with_output=*/true);
  ASSERT_TRUE(short_run.ok() && long_run.ok());
  ASSERT_EQ(short_run->size(), 1u);
  ASSERT_EQ(long_run->size(), 1u);
  const fsm::Execution& s = (*short_run)[0];
  const fsm::Execution& l = (*long_run)[0];
  ASSERT_FALSE(s.running()) << c.Describe();
  ASSERT_FALSE(l.running()) << c.Describe();
  EXPECT_TRUE(s.success) << s.output;
  EXPECT_NE(s.output.find("done"), std::string::npos) << s.output;
  EXPECT_FALSE(l.success) << l.output;
  EXPECT_NE(l.output.find("started"), std::string::npos) << l.output;
  EXPECT_LT(*l.finished_at - l.started_at, absl::Seconds(30)) << "not cancelled at the grace";
}

}  // namespace
}  // namespace ckron::testing
