#include "scheduling_cluster.h"

#include <algorithm>
#include <memory>

namespace ckron::testing {
namespace {

// Lives until the process exits; its destructor kills the agents.
struct Shared {
  std::unique_ptr<AgentCluster> cluster;
  Status start;
};

Shared& Get() {
  static Shared* shared = [] {
    auto* s = new Shared;
    s->cluster = std::make_unique<AgentCluster>("ckron-sched");
    s->start = s->cluster->StartServers(3);
    for (int k = 0; s->start.ok() && k < 2; ++k) {
      const int i = s->cluster->Add({.server = false, .extra_args = {"--tag", "kind=worker"}});
      s->start = s->cluster->Start(i, {s->cluster->gossip_addr(0)});
    }
    // Every server sees both workers alive before the tests fire jobs at them.
    for (int i = 0; s->start.ok() && i < 3; ++i) {
      if (!Eventually([&] {
            return s->cluster->MemberStatus(i, "n3") == "alive" &&
                   s->cluster->MemberStatus(i, "n4") == "alive";
          })) {
        s->start = Status::Unavailable("workers not seen alive by n" + std::to_string(i));
      }
    }
    return s;
  }();
  return *shared;
}

// Kills the agents when the test program ends (the children would also die
// with it, but a clean stop keeps their logs complete).
class KillAtExit : public ::testing::Environment {
 public:
  void TearDown() override { Get().cluster.reset(); }
};
const ::testing::Environment* const kKillAtExit =
    ::testing::AddGlobalTestEnvironment(new KillAtExit);

}  // namespace

void SchedulingTest::SetUpTestSuite() {
  Get();
}

void SchedulingTest::SetUp() {
  ASSERT_TRUE(Get().start.ok()) << Get().start.ToString() << Get().cluster->Describe();
}

void SchedulingTest::TearDown() {
  for (const std::string& name : written_) {
    auto job = cluster().GetJob(0, name);
    if (!job.ok() || job->disabled) continue;  // deleted (ephemeral) or already off
    job->disabled = true;
    if (Status s = cluster().PutJob(0, *job); !s.ok()) {
      ADD_FAILURE() << "could not disable " << name << ": " << s.ToString();
    }
  }
}

AgentCluster& SchedulingTest::cluster() {
  return *Get().cluster;
}

Status SchedulingTest::PutJob(int i, const fsm::Job& job) {
  if (std::find(written_.begin(), written_.end(), job.name) == written_.end()) {
    written_.push_back(job.name);
  }
  return cluster().PutJob(i, job);
}

fsm::Job SchedulingTest::ShellJob(const std::string& name, const std::string& command,
                                  const std::string& schedule) {
  fsm::Job job;
  job.name = name;
  job.schedule = schedule;
  job.executor = "shell";
  job.executor_config = {{"command", command}, {"shell", "true"}};
  job.tags = {{"kind", "worker"}};
  return job;
}

std::string SchedulingTest::AtSoon() {
  return "@at " +
         absl::FormatTime(absl::RFC3339_sec, absl::Now() + absl::Seconds(2), absl::UTCTimeZone());
}

std::vector<fsm::Execution> SchedulingTest::WaitExecutions(
    const std::string& job, const std::function<bool(const std::vector<fsm::Execution>&)>& done,
    milliseconds timeout) {
  std::vector<fsm::Execution> last;
  const bool ok = Eventually(
      [&] {
        for (int i = 0; i < 3; ++i) {
          auto r = cluster().Executions(i, job, /*with_output=*/true);
          if (r.ok()) {
            last = *r;
            return done(last);
          }
        }
        return false;
      },
      timeout);
  if (!ok) {
    ADD_FAILURE() << "executions of " << job << " never got there:\n"
                  << Dump(last) << cluster().Describe();
  }
  return last;
}

std::vector<fsm::Execution> SchedulingTest::WaitOneFinished(const std::string& job) {
  return WaitExecutions(job, [](const auto& es) { return !es.empty() && !es.back().running(); });
}

std::string SchedulingTest::Dump(const std::vector<fsm::Execution>& es) {
  std::string out;
  for (const auto& e : es) {
    out += e.id + " node=" + e.node_name + " group=" + std::to_string(e.group) +
           " attempt=" + std::to_string(e.attempt) + " started=" + absl::FormatTime(e.started_at) +
           (e.running() ? " running" : " finished=" + absl::FormatTime(*e.finished_at)) +
           (e.success ? " ok" : " failed") + " output=" + e.output.substr(0, 160) + "\n";
  }
  return out;
}

std::map<std::int64_t, std::vector<fsm::Execution>> FinishedByGroup(
    const std::vector<fsm::Execution>& es) {
  std::map<std::int64_t, std::vector<fsm::Execution>> g;
  for (const auto& e : es) {
    if (!e.running()) g[e.group].push_back(e);
  }
  return g;
}

}  // namespace ckron::testing
