// Runs the registered Google Benchmarks and prints one JSON object per
// figure, the format bench/run collects:
//   {"bench":"cron","metric":"next/fixed_utc","value":97.1,"unit":"ns/op",
//    "peer":"robfig/cron v3.0.1","peer_value":412.0}
// Peer figures come from a file of "<metric> <value>" lines measured in the
// same run (see bench/cron/run.sh).
#ifndef CKRON_BENCH_COMMON_JSON_LINES_REPORTER_H_
#define CKRON_BENCH_COMMON_JSON_LINES_REPORTER_H_

#include <string>

namespace ckron::bench {

struct ReportOptions {
  std::string bench;      // the "bench" field
  std::string peer;       // peer name; "" when there is none
  std::string peer_file;  // "<metric> <value>" lines; "" when there is none
};

// Call from main() after benchmark::Initialize. Returns main's exit code.
int RunAndReport(const ReportOptions& options);

}  // namespace ckron::bench

#endif  // CKRON_BENCH_COMMON_JSON_LINES_REPORTER_H_
