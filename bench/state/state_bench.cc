// The replicated state at scale (issue: 1,000,000 jobs within 2 GiB RSS per
// server; snapshots and restore stream in bounded time). Builds the state a
// server holds — ReplicatedState over the RocksDB execution store — by
// applying N job upserts through the same encoded commands Raft carries, then
// takes a snapshot and restores it into a fresh replica, as a restarting or
// newly added server does.
//
// Prints one JSON object per figure:
//   apply rate, RSS with N jobs, snapshot pause/bytes/write time, restore
//   time and the RSS after it (the state replaced in place, as a follower
//   installing a snapshot, with the snapshot still buffered as libraft does).
//
// With --fires F it measures the fire path instead: F fires spread over the
// N jobs, each applied as a fire is (RecordFire, ExecutionStarted,
// ExecutionFinished), past the per-job execution cap so that pruning runs.
//
//   state_bench [--jobs N] [--dir DIR] [--fires F]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "replica/replicated_state.h"
#include "storage/rocks_execution_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Resident set size of this process, from /proc/self/status.
double RssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

void Print(const char* metric, double value, const char* unit) {
  std::printf("{\"bench\":\"state\",\"metric\":\"%s\",\"value\":%.1f,\"unit\":\"%s\"}\n", metric,
              value, unit);
  std::fflush(stdout);
}

// A job as users write them: a schedule from a small mix, a shell command,
// a target tag, some metadata.
ckron::fsm::Job MakeJob(long i) {
  static const char* kSchedules[] = {"0 */5 * * * *", "@hourly", "0 30 2 * * *", "@every 10m",
                                     "0 0 ~ * * *"};
  ckron::fsm::Job j;
  char name[32];
  std::snprintf(name, sizeof name, "job-%07ld", i);
  j.name = name;
  j.schedule = kSchedules[i % 5];
  j.timezone = i % 3 == 0 ? "Europe/London" : "";
  j.executor = "shell";
  j.executor_config = {{"command", "/usr/local/bin/report --id " + std::to_string(i)}};
  j.tags = {{"role", "worker:1"}};
  j.metadata = {{"team", "team-" + std::to_string(i % 50)}};
  j.owner_email = "ops@example.com";
  j.retries = 2;
  return j;
}

class CountingSink final : public ckron::raft::SnapshotSink {
 public:
  ckron::Status Write(std::string_view chunk) override {
    bytes += chunk.size();
    chunks.emplace_back(chunk);
    return ckron::OkStatus();
  }
  std::size_t bytes = 0;
  std::vector<std::string> chunks;
};

class ChunkReader final : public ckron::raft::SnapshotReader {
 public:
  explicit ChunkReader(std::vector<std::string>& chunks) : chunks_(chunks) {}
  bool Next(std::string_view* chunk) override {
    if (next_ >= chunks_.size()) return false;
    *chunk = chunks_[next_++];
    return true;
  }

 private:
  std::vector<std::string>& chunks_;
  std::size_t next_ = 0;
};

// Applies `fires` fires round-robin over jobs job-0000000.. job-<jobs-1>,
// one second apart per job, and prints the rate.
int RunFires(ckron::replica::ReplicatedState& state, long jobs, long fires, std::uint64_t index) {
  using namespace ckron;
  const absl::Time first = absl::FromUnixSeconds(1'767'225'600);
  auto apply = [&](absl::Time now, fsm::Command command) {
    const std::string bytes = replica::EncodeCommand(now, std::move(command));
    state.Apply({LogIndex(++index), Term(1), 0, 1}, bytes);
  };
  const auto t0 = Clock::now();
  for (long f = 0; f < fires; ++f) {
    const long j = f % jobs;
    const absl::Time at = first + absl::Seconds(f / jobs + 1);
    char name[32];
    std::snprintf(name, sizeof name, "job-%07ld", j);
    const std::int64_t group = absl::ToUnixNanos(at);
    const std::string node = "n" + std::to_string(j % 5);
    apply(at,
          fsm::RecordFire{.job_name = name, .scheduled = at, .group = group, .targets = {node}});
    fsm::Execution e;
    e.job_name = name;
    e.id = fsm::RunExecutionId(group, 1, node);
    e.node_name = node;
    e.started_at = at;
    e.group = group;
    e.attempt = 1;
    apply(at, fsm::ExecutionStarted{e, at + absl::Seconds(30)});
    e.finished_at = at + absl::Milliseconds(3);
    e.success = true;
    apply(at, fsm::ExecutionFinished{e});
  }
  const double s = Seconds(t0);
  const std::string metric = "fires applied, " + std::to_string(fires / jobs) +
                             " runs per job (RecordFire + ExecutionStarted + "
                             "ExecutionFinished, one server)";
  Print(metric.c_str(), static_cast<double>(fires) / s, "fires/s");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  long jobs = 1'000'000;
  long fires = 0;
  std::string dir =
      (std::filesystem::temp_directory_path() / ("ckron-state-bench-" + std::to_string(::getpid())))
          .string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--jobs") == 0) jobs = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
    if (std::strcmp(argv[i], "--fires") == 0) fires = std::atol(argv[i + 1]);
  }
  const double rss_start = RssMiB();

  auto store = ckron::storage::RocksExecutionStore::Open({.path = dir + "/a"});
  if (!store.ok()) {
    std::fprintf(stderr, "state_bench: %s\n", store.status().ToString().c_str());
    return 1;
  }
  ckron::replica::ReplicatedState state(store->get());
  const absl::Time now = absl::FromUnixSeconds(1'767'225'600);
  auto t0 = Clock::now();
  for (long i = 0; i < jobs; ++i) {
    const std::string command = ckron::replica::EncodeCommand(now, ckron::fsm::PutJob{MakeJob(i)});
    state.Apply({ckron::LogIndex(static_cast<std::uint64_t>(i + 1)), ckron::Term(1), 0, 1},
                command);
  }
  const double apply_s = Seconds(t0);
  Print("job upserts applied (encoded, one server)", static_cast<double>(jobs) / apply_s, "jobs/s");
  Print("RSS with the jobs loaded", RssMiB() - rss_start, "MiB");
  Print("jobs held", static_cast<double>(jobs), "jobs");
  if (fires > 0) {
    const int rc = RunFires(state, jobs, fires, static_cast<std::uint64_t>(jobs));
    std::filesystem::remove_all(dir);
    return rc;
  }

  t0 = Clock::now();
  auto source = state.PrepareSnapshot(ckron::LogIndex(static_cast<std::uint64_t>(jobs)));
  const double prepare_ms = Seconds(t0) * 1000;
  Print("snapshot prepare (apply thread pause)", prepare_ms, "ms");
  CountingSink sink;
  t0 = Clock::now();
  if (!source.ok() || !(*source)->WriteTo(sink).ok()) return 1;
  Print("snapshot write", Seconds(t0), "s");
  Print("snapshot size", static_cast<double>(sink.bytes) / (1 << 20), "MiB");
  Print("snapshot chunks", static_cast<double>(sink.chunks.size()), "chunks");

  source = ckron::Status::Cancelled("written");  // libraft drops the source once written
  ChunkReader reader(sink.chunks);
  t0 = Clock::now();
  if (!state.Restore(ckron::LogIndex(static_cast<std::uint64_t>(jobs)), reader).ok()) return 1;
  Print("restore until reads are served", Seconds(t0), "s");
  Print("RSS after restore, snapshot still buffered", RssMiB() - rss_start, "MiB");

  const std::size_t n = state.Read([](const ckron::fsm::State& s) { return s.jobs().size(); });
  std::filesystem::remove_all(dir);
  return n == static_cast<std::size_t>(jobs) ? 0 : 1;
}
