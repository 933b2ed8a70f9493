#include "metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tuple>
#include <vector>

namespace ckron::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Metrics, RendersCountersWithTheirLabels) {
  Metrics m;
  m.fires.With({{"kind", "scheduled"}}).Increment();
  m.fires.With({{"kind", "scheduled"}}).Increment();
  m.fires.With({{"kind", "catch_up"}}).Increment();
  const std::string text = m.RenderText();
  EXPECT_THAT(text, HasSubstr("# TYPE ckron_fires_total counter"));
  EXPECT_THAT(text, HasSubstr("ckron_fires_total{kind=\"scheduled\"} 2"));
  EXPECT_THAT(text, HasSubstr("ckron_fires_total{kind=\"catch_up\"} 1"));
}

TEST(Metrics, DkronsMetricsAreAlsoRenderedUnderDkronsNames) {
  Metrics m;
  m.job_executions_succeeded.With({{"job_name", "backup"}}).Increment(3);
  m.scheduler_start.Increment();
  const std::string text = m.RenderText();
  EXPECT_THAT(text, HasSubstr("ckron_job_executions_succeeded_total{job_name=\"backup\"} 3"));
  EXPECT_THAT(text, HasSubstr("dkron_job_executions_succeeded_total{job_name=\"backup\"} 3"));
  EXPECT_THAT(text, HasSubstr("dkron_scheduler_start 1"));
  // ckron's own metrics have no alias.
  EXPECT_THAT(text, Not(HasSubstr("dkron_fires")));
}

TEST(Metrics, TimersAreHistogramsInSeconds) {
  Metrics m;
  m.trigger_lag.Observe(absl::Milliseconds(3));
  m.trigger_lag.Observe(absl::Milliseconds(30));
  const std::string text = m.RenderText();
  EXPECT_THAT(text, HasSubstr("# TYPE ckron_trigger_lag_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("ckron_trigger_lag_seconds_count 2"));
  EXPECT_THAT(text, HasSubstr("ckron_trigger_lag_seconds_bucket{le=\"0.005\"} 1"));
  EXPECT_THAT(text, HasSubstr("ckron_trigger_lag_seconds_bucket{le=\"0.05\"} 2"));
  EXPECT_THAT(text, HasSubstr("ckron_trigger_lag_seconds_sum 0.033"));
}

TEST(Metrics, ADefaultHandleRecordsNothing) {
  Counter c;
  c.Increment();
  Timer t;
  t.Observe(absl::Seconds(1));
  Gauge g;
  g.Set(2);
}

class Recorder final : public SampleSink {
 public:
  void Record(Kind kind, std::string_view key, const Labels& labels, double value) override {
    samples.emplace_back(kind, std::string(key), labels, value);
  }
  std::vector<std::tuple<Kind, std::string, Labels, double>> samples;
};

TEST(Metrics, EverySampleAlsoReachesTheSinkWithItsStatsdKey) {
  Metrics m;
  Recorder r;
  m.set_sink(&r);
  m.fires.With({{"kind", "manual"}}).Increment();
  m.gossip_members.With({{"state", "alive"}}).Set(3);
  m.raft_commit.Observe(absl::Milliseconds(2));
  ASSERT_EQ(r.samples.size(), 3u);
  EXPECT_EQ(r.samples[0], std::make_tuple(SampleSink::Kind::kCounter, std::string("ckron.fires"),
                                          Labels{{"kind", "manual"}}, 1.0));
  EXPECT_EQ(std::get<1>(r.samples[1]), "ckron.gossip_members");
  EXPECT_EQ(std::get<0>(r.samples[2]), SampleSink::Kind::kTiming);
  EXPECT_EQ(std::get<1>(r.samples[2]), "ckron.raft_commit_seconds");
  EXPECT_DOUBLE_EQ(std::get<3>(r.samples[2]), 0.002);
}

}  // namespace
}  // namespace ckron::metrics
