// Cron engine figures: parse and Next() in ns/op, beside robfig/cron v3.0.1
// (the parser Dkron uses) measured by bench/cron/robfig/main.go in the same
// run. Both sides run the same specs and the same chained-Next loop.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "bench/common/json_lines_reporter.h"
#include "cron/schedule.h"

namespace {

using ckron::cron::ParseOptions;
using ckron::cron::Schedule;

const absl::Time kStart = absl::FromUnixSeconds(1'764'547'200);  // 2025-12-01T00:00:00Z
const absl::Time kEnd = absl::FromUnixSeconds(4'102'444'800);    // 2100-01-01

void Parse(benchmark::State& state, const char* spec) {
  for (auto _ : state) {
    auto s = Schedule::Parse(spec);
    benchmark::DoNotOptimize(s);
  }
}

void Next(benchmark::State& state, const char* spec, const char* zone) {
  auto s = Schedule::Parse(spec, {.timezone = zone});
  if (!s.ok()) {
    state.SkipWithError(s.status().ToString().c_str());
    return;
  }
  absl::Time t = kStart;
  for (auto _ : state) {
    auto next = s->Next(t);
    t = next && *next < kEnd ? *next : kStart;
    benchmark::DoNotOptimize(t);
  }
}

struct Case {
  const char* metric;
  const char* spec;
  const char* zone;  // nullptr: a parse benchmark
};
constexpr Case kCases[] = {
    {"parse/fixed", "0 30 2 * * *", nullptr},
    {"parse/ranges", "*/15 0-30 9-17 * JAN-JUN MON-FRI", nullptr},
    {"parse/descriptor", "@daily", nullptr},
    {"parse/every", "@every 1h30m", nullptr},
    {"next/fixed_utc", "0 30 2 * * *", "UTC"},
    {"next/wildcard_utc", "*/15 * * * * *", "UTC"},
    {"next/ranges_utc", "*/15 0-30 9-17 * JAN-JUN MON-FRI", "UTC"},
    {"next/fixed_new_york", "0 30 2 * * *", "America/New_York"},
    {"next/wildcard_new_york", "0 */5 * * * *", "America/New_York"},
    {"next/leap_day", "0 0 0 29 2 *", "UTC"},
    {"next/every", "@every 10s", "UTC"},
};

}  // namespace

int main(int argc, char** argv) {
  ckron::bench::ReportOptions options{.bench = "cron", .peer = "", .peer_file = ""};
  // --peer_file=PATH: "<metric> <ns>" lines from the robfig run.
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--peer_file=", 12) == 0) {
      options.peer_file = argv[i] + 12;
      options.peer = "robfig/cron v3.0.1";
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      --i;
    }
  }
  for (const Case& c : kCases) {
    if (c.zone == nullptr) {
      benchmark::RegisterBenchmark(c.metric, Parse, c.spec);
    } else {
      benchmark::RegisterBenchmark(c.metric, Next, c.spec, c.zone);
    }
  }
  benchmark::Initialize(&argc, argv);
  return ckron::bench::RunAndReport(options);
}
