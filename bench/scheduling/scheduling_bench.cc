// The scheduling benchmarks of issue #5 on real `ckron agent` processes on
// 127.0.0.1 (docs/benchmarks.md, "Scheduling"):
//
//   scheduling_bench jobs     [--jobs N] [--in-flight N] [--probe-seconds S]
//   scheduling_bench rates    [--rates 1000,2000,...] [--window S] [--warmup S]
//   scheduling_bench failover [--kills N] [--probes N]
//
// One JSON object per figure on stdout ({"bench":"scheduling",...}),
// progress on stderr. Needs CKRON_BIN (the ckron binary, compiled in).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "bench/scheduling/modes.h"

namespace {

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::atoi(item.c_str()));
  return out;
}

int Usage() {
  std::fprintf(stderr, "usage: scheduling_bench jobs|rates|failover [--flag value ...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string mode = argv[1];
  ckron::bench::JobsOptions jobs;
  ckron::bench::RatesOptions rates;
  ckron::bench::FailoverOptions failover;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--jobs")
      jobs.jobs = std::atoll(value.c_str());
    else if (flag == "--in-flight")
      jobs.in_flight = std::atoi(value.c_str());
    else if (flag == "--probe-seconds")
      jobs.probe_seconds = std::atoi(value.c_str());
    else if (flag == "--rates")
      rates.rates = ParseList(value);
    else if (flag == "--window")
      rates.window_seconds = std::atoi(value.c_str());
    else if (flag == "--warmup")
      rates.warmup_seconds = std::atoi(value.c_str());
    else if (flag == "--kills")
      failover.kills = std::atoi(value.c_str());
    else if (flag == "--probes")
      failover.probes = std::atoi(value.c_str());
    else
      return Usage();
  }
  if (mode == "jobs") return ckron::bench::RunJobs(jobs);
  if (mode == "rates") return ckron::bench::RunRates(rates);
  if (mode == "failover") return ckron::bench::RunFailover(failover);
  return Usage();
}
