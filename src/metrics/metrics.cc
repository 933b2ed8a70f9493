#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace ckron::metrics {
namespace {

// Latency buckets, seconds: 0.5 ms .. 10 s.
std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// "ckron_fires_total" -> "ckron.fires" (statsd keys drop the _total suffix
// Prometheus wants, as go-metrics does for Dkron's keys).
std::string StatsdKey(const std::string& name) {
  std::string key = name;
  constexpr std::string_view kTotal = "_total";
  if (key.size() > kTotal.size() && key.ends_with(kTotal)) key.resize(key.size() - kTotal.size());
  key[key.find('_')] = '.';
  return key;
}

}  // namespace

Counter::Counter(const Metrics* m, prometheus::Counter* c, const std::string* key, Labels labels)
    : m_(m), c_(c), key_(key), labels_(std::make_shared<const Labels>(std::move(labels))) {}

void Counter::Increment(double by) const {
  if (c_ == nullptr) return;
  c_->Increment(by);
  if (m_->sink_ != nullptr) m_->sink_->Record(SampleSink::Kind::kCounter, *key_, *labels_, by);
}

Gauge::Gauge(const Metrics* m, prometheus::Gauge* g, const std::string* key, Labels labels)
    : m_(m), g_(g), key_(key), labels_(std::make_shared<const Labels>(std::move(labels))) {}

void Gauge::Set(double value) const {
  if (g_ == nullptr) return;
  g_->Set(value);
  if (m_->sink_ != nullptr) m_->sink_->Record(SampleSink::Kind::kGauge, *key_, *labels_, value);
}

Timer::Timer(const Metrics* m, prometheus::Histogram* h, const std::string* key, Labels labels)
    : m_(m), h_(h), key_(key), labels_(std::make_shared<const Labels>(std::move(labels))) {}

void Timer::Observe(absl::Duration d) const {
  if (h_ == nullptr) return;
  const double seconds = absl::ToDoubleSeconds(d);
  h_->Observe(seconds);
  if (m_->sink_ != nullptr) m_->sink_->Record(SampleSink::Kind::kTiming, *key_, *labels_, seconds);
}

Counter CounterFamily::With(const Labels& labels) const {
  if (f_ == nullptr) return {};
  return Counter(m_, &f_->Add(labels), key_, labels);
}

Gauge GaugeFamily::With(const Labels& labels) const {
  if (f_ == nullptr) return {};
  return Gauge(m_, &f_->Add(labels), key_, labels);
}

Timer TimerFamily::With(const Labels& labels) const {
  if (f_ == nullptr) return {};
  return Timer(m_, &f_->Add(labels, *buckets_), key_, labels);
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  fires = MakeCounter("ckron_fires_total",
                      "Fires recorded by the leader, by kind (scheduled, catch_up, manual, "
                      "dependent).");
  fires_skipped = MakeCounter("ckron_fires_skipped_total",
                              "Fires not run, by reason (paused, disabled, forbid, misfire, "
                              "no_targets).");
  trigger_lag = MakeTimer("ckron_trigger_lag_seconds",
                          "From a fire's scheduled instant to its executor starting on the node.",
                          LatencyBuckets())
                    .With({});
  executions = MakeCounter("ckron_executions_total",
                           "Executions finished, by result (success, failed, lost).");
  job_executions_succeeded =
      MakeCounter("ckron_job_executions_succeeded_total", "Successful executions, per job.",
                  "dkron_job_executions_succeeded_total");
  job_executions_failed =
      MakeCounter("ckron_job_executions_failed_total", "Failed executions, per job.",
                  "dkron_job_executions_failed_total");
  scheduler_start = MakeCounter("ckron_scheduler_start", "Times the scheduler started (leader).",
                                "dkron_scheduler_start")
                        .With({});
  scheduler_job_add =
      MakeCounter("ckron_scheduler_job_add", "Jobs added to or changed in the scheduler, per job.",
                  "dkron_scheduler_job_add");
  scheduler_job_delete =
      MakeCounter("ckron_scheduler_job_delete", "Jobs removed from the scheduler, per job.",
                  "dkron_scheduler_job_delete");
  raft_commit = MakeTimer("ckron_raft_commit_seconds",
                          "From a command's proposal (stamped by the server that took the write) "
                          "to its application on the leader.",
                          LatencyBuckets())
                    .With({});
  raft_leader = MakeGauge("ckron_raft_leader", "1 while this server is the Raft leader.").With({});
  gossip_members = MakeGauge("ckron_gossip_members", "Gossip members this node knows, by state.");
  events_received =
      MakeCounter("ckron_agent_event_received", "Gossip member events received, by event.",
                  "dkron_agent_event_received");
  leader_phase = MakeTimer("ckron_leader_seconds",
                           "Leader loop phases (barrier, reconcile, establish_leadership, "
                           "revoke_leadership).",
                           LatencyBuckets(), "dkron_dkron_leader_seconds");
  leader_establish =
      MakeTimer("ckron_leader_establish_seconds",
                "From winning an election to leader-only work running (barrier, then the "
                "scheduler and dispatcher started from the replicated state).",
                LatencyBuckets())
          .With({});
  http_requests = MakeCounter("ckron_http_requests_total",
                              "HTTP API requests, by route, method and status code.");
  http_duration = MakeTimer("ckron_http_request_seconds", "HTTP API request durations, by route.",
                            LatencyBuckets());
}

Metrics::~Metrics() = default;

const std::string* Metrics::Key(const std::string& name) {
  keys_.push_back(std::make_unique<std::string>(StatsdKey(name)));
  return keys_.back().get();
}

CounterFamily Metrics::MakeCounter(const std::string& name, const std::string& help,
                                   const std::string& dkron_name) {
  CounterFamily f;
  f.m_ = this;
  f.f_ = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  f.key_ = Key(name);
  if (!dkron_name.empty()) aliases_[name] = dkron_name;
  return f;
}

GaugeFamily Metrics::MakeGauge(const std::string& name, const std::string& help) {
  GaugeFamily f;
  f.m_ = this;
  f.f_ = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  f.key_ = Key(name);
  return f;
}

TimerFamily Metrics::MakeTimer(const std::string& name, const std::string& help,
                               std::vector<double> buckets, const std::string& dkron_name) {
  TimerFamily f;
  f.m_ = this;
  f.f_ = &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  f.key_ = Key(name);
  buckets_.push_back(std::make_unique<std::vector<double>>(std::move(buckets)));
  f.buckets_ = buckets_.back().get();
  if (!dkron_name.empty()) aliases_[name] = dkron_name;
  return f;
}

std::string Metrics::RenderText() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  const std::size_t own = families.size();
  for (std::size_t i = 0; i < own; ++i) {
    auto alias = aliases_.find(families[i].name);
    if (alias == aliases_.end()) continue;
    prometheus::MetricFamily copy = families[i];
    copy.name = alias->second;
    copy.help = "Dkron's name for " + families[i].name + ".";
    families.push_back(std::move(copy));
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace ckron::metrics
