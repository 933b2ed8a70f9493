// What an agent counts and times, in one registry (prometheus-cpp): served
// as Prometheus text at /metrics and, when configured, pushed to statsd or
// DogStatsD (statsd.h). The composition root (node/agent.cc) owns one
// Metrics; modules get it by pointer and record through the handles below,
// which never block for long and never allocate after creation.
//
// Names: every metric is ckron_<name>. The metrics Dkron has (dkron-spec
// §11) are also rendered under Dkron's Prometheus name (dkron_<name>), so
// dashboards and alerts written for Dkron keep working; docs/api.md lists
// the mapping.
//
// Thread safety: everything is safe for concurrent use.
#ifndef CKRON_METRICS_METRICS_H_
#define CKRON_METRICS_METRICS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace ckron::metrics {

using Labels = std::map<std::string, std::string>;

// Receives every sample as it is recorded (statsd.h). Must not block.
class SampleSink {
 public:
  enum class Kind { kCounter, kGauge, kTiming };
  virtual ~SampleSink() = default;
  // `key` is the dotted statsd key ("ckron.fires"), `value` the increment
  // (counter), the new value (gauge) or seconds (timing).
  virtual void Record(Kind kind, std::string_view key, const Labels& labels, double value) = 0;
};

class Metrics;

// A counter with fixed labels. Cheap to copy; valid while its Metrics lives.
class Counter {
 public:
  Counter() = default;  // records nothing
  void Increment(double by = 1) const;

 private:
  friend class Metrics;
  friend class CounterFamily;
  Counter(const Metrics* m, prometheus::Counter* c, const std::string* key, Labels labels);
  const Metrics* m_ = nullptr;
  prometheus::Counter* c_ = nullptr;
  const std::string* key_ = nullptr;
  std::shared_ptr<const Labels> labels_;
};

class Gauge {
 public:
  Gauge() = default;  // records nothing
  void Set(double value) const;

 private:
  friend class Metrics;
  friend class GaugeFamily;
  Gauge(const Metrics* m, prometheus::Gauge* g, const std::string* key, Labels labels);
  const Metrics* m_ = nullptr;
  prometheus::Gauge* g_ = nullptr;
  const std::string* key_ = nullptr;
  std::shared_ptr<const Labels> labels_;
};

// Durations, in seconds.
class Timer {
 public:
  Timer() = default;  // records nothing
  void Observe(absl::Duration d) const;

 private:
  friend class Metrics;
  friend class TimerFamily;
  Timer(const Metrics* m, prometheus::Histogram* h, const std::string* key, Labels labels);
  const Metrics* m_ = nullptr;
  prometheus::Histogram* h_ = nullptr;
  const std::string* key_ = nullptr;
  std::shared_ptr<const Labels> labels_;
};

// A metric with variable labels: With() finds or creates the labelled one
// (a map lookup under the family's lock: keep the handle when you can).
class CounterFamily {
 public:
  Counter With(const Labels& labels) const;

 private:
  friend class Metrics;
  const Metrics* m_ = nullptr;
  prometheus::Family<prometheus::Counter>* f_ = nullptr;
  const std::string* key_ = nullptr;
};
class GaugeFamily {
 public:
  Gauge With(const Labels& labels) const;

 private:
  friend class Metrics;
  const Metrics* m_ = nullptr;
  prometheus::Family<prometheus::Gauge>* f_ = nullptr;
  const std::string* key_ = nullptr;
};
class TimerFamily {
 public:
  Timer With(const Labels& labels) const;

 private:
  friend class Metrics;
  const Metrics* m_ = nullptr;
  prometheus::Family<prometheus::Histogram>* f_ = nullptr;
  const std::string* key_ = nullptr;
  const std::vector<double>* buckets_ = nullptr;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Every sample also goes to `sink` (nullptr: none). Set it before
  // recording starts; the sink must outlive this object.
  void set_sink(SampleSink* sink) { sink_ = sink; }

  // Prometheus text exposition format 0.0.4, ckron_ names then the dkron_
  // aliases.
  std::string RenderText() const;

  // --- Scheduling (leader) ---
  // Fires recorded, by kind: scheduled, catch_up, manual, dependent.
  CounterFamily fires;
  // Fires not run, by reason: paused, disabled, forbid, misfire,
  // no_targets.
  CounterFamily fires_skipped;
  // Scheduled instant -> executor start on the node (agents record it).
  Timer trigger_lag;
  // Executions finished, by result: success, failed, lost.
  CounterFamily executions;
  // Dkron's per-job counters (every server, as the FSM applies results).
  CounterFamily job_executions_succeeded;  // dkron_job_executions_succeeded_total
  CounterFamily job_executions_failed;     // dkron_job_executions_failed_total
  Counter scheduler_start;                 // dkron_scheduler_start
  CounterFamily scheduler_job_add;         // dkron_scheduler_job_add {job}
  CounterFamily scheduler_job_delete;      // dkron_scheduler_job_delete {job}

  // --- Cluster ---
  Timer raft_commit;              // proposal -> applied on the leader
  Gauge raft_leader;              // 1 while this server leads
  GaugeFamily gossip_members;     // by state: alive, suspect, failed, left
  CounterFamily events_received;  // dkron_agent_event_received {event}
  TimerFamily leader_phase;       // dkron_dkron_leader_<phase>: barrier, reconcile, ...
  Timer leader_establish;         // won an election -> scheduler and dispatcher running

  // --- API ---
  CounterFamily http_requests;  // by route, method, code
  TimerFamily http_duration;    // by route

 private:
  friend class Counter;
  friend class Gauge;
  friend class Timer;

  CounterFamily MakeCounter(const std::string& name, const std::string& help,
                            const std::string& dkron_name = "");
  GaugeFamily MakeGauge(const std::string& name, const std::string& help);
  TimerFamily MakeTimer(const std::string& name, const std::string& help,
                        std::vector<double> buckets, const std::string& dkron_name = "");
  const std::string* Key(const std::string& name);

  std::shared_ptr<prometheus::Registry> registry_;
  SampleSink* sink_ = nullptr;
  std::vector<std::unique_ptr<std::string>> keys_;             // statsd keys, stable addresses
  std::vector<std::unique_ptr<std::vector<double>>> buckets_;  // per timer family
  std::map<std::string, std::string> aliases_;                 // ckron_ name -> dkron_ name
};

}  // namespace ckron::metrics

#endif  // CKRON_METRICS_METRICS_H_
