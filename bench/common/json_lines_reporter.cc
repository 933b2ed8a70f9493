#include "bench/common/json_lines_reporter.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace ckron::bench {
namespace {

class JsonLinesReporter final : public benchmark::BenchmarkReporter {
 public:
  JsonLinesReporter(const ReportOptions& options, std::map<std::string, double> peers)
      : options_(options), peers_(std::move(peers)) {}

  bool ReportContext(const Context&) override { return true; }

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      const std::string metric = run.benchmark_name();
      const double ns = run.GetAdjustedRealTime();  // per iteration, in the run's time unit
      std::string line = "{\"bench\":\"" + options_.bench + "\",\"metric\":\"" + metric +
                         "\",\"value\":" + Number(ns) + ",\"unit\":\"ns/op\"";
      if (auto it = peers_.find(metric); it != peers_.end() && !options_.peer.empty()) {
        line += ",\"peer\":\"" + options_.peer + "\",\"peer_value\":" + Number(it->second);
      }
      line += "}\n";
      std::fputs(line.c_str(), stdout);
      std::fflush(stdout);
    }
  }

 private:
  static std::string Number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
  }

  ReportOptions options_;
  std::map<std::string, double> peers_;
};

}  // namespace

int RunAndReport(const ReportOptions& options) {
  std::map<std::string, double> peers;
  if (!options.peer_file.empty()) {
    std::ifstream in(options.peer_file);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string metric;
      double value = 0;
      if (fields >> metric >> value) peers[metric] = value;
    }
  }
  JsonLinesReporter reporter(options, std::move(peers));
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace ckron::bench
