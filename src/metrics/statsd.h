// Pushes every recorded sample to a statsd or DogStatsD server over UDP
// (Dkron's --statsd-addr / --dog-statsd-addr, dkron-spec §11), in batches:
// lines are queued by Record (never blocking; dropped and counted beyond
// max_queued) and a thread sends them every flush_interval, packed into
// datagrams of at most max_packet bytes.
//
//   statsd     <key>[.<label value>...]:<value>|c|g|ms
//   DogStatsD  <key>:<value>|c|g|ms|#<label>:<value>,...,host:<node>,<tags>
//
// Timings go out in milliseconds. Characters statsd gives a meaning to
// (':', '|', '@', '#', ',', newlines) are replaced by '_' in keys and tags.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_METRICS_STATSD_H_
#define CKRON_METRICS_STATSD_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "metrics/metrics.h"

namespace ckron::metrics {

struct StatsdOptions {
  std::string address;  // host:port of the server
  bool dogstatsd = false;
  std::string hostname;           // DogStatsD: sent as the tag host:<hostname>
  std::vector<std::string> tags;  // DogStatsD: sent with every sample ("k:v")
  absl::Duration flush_interval = absl::Milliseconds(100);
  std::size_t max_queued = 100'000;  // lines waiting; beyond, samples are dropped
  std::size_t max_packet = 1432;     // bytes per datagram (fits a 1500-byte MTU)
};

class StatsdSink final : public SampleSink {
 public:
  // Resolves the address and starts the sending thread.
  // Errors: kInvalidArgument (not host:port), kUnavailable (cannot resolve
  // or open the socket).
  static Result<std::unique_ptr<StatsdSink>> Open(StatsdOptions options);
  ~StatsdSink() override;  // sends what is queued, then stops

  void Record(Kind kind, std::string_view key, const Labels& labels, double value) override;

  // Sends what is queued now (tests, shutdown).
  void Flush();

  std::uint64_t dropped() const;
  std::uint64_t datagrams() const;

 private:
  StatsdSink(StatsdOptions options, int fd);
  void Run();
  void SendLocked(std::unique_lock<std::mutex>& lock);

  const StatsdOptions options_;
  const int fd_;
  std::string suffix_;  // DogStatsD constant tags, ",host:..,k:v" (without '#')

  // This class behaves like a monitor: mu_ guards everything below.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::string> queue_;
  bool stop_ = false;
  std::uint64_t dropped_ = 0;
  std::uint64_t datagrams_ = 0;
  std::thread thread_;
};

}  // namespace ckron::metrics

#endif  // CKRON_METRICS_STATSD_H_
