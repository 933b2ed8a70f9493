#include "node/telemetry.h"

#include "api/http_metrics.h"
#include "common/log.h"

namespace ckron::node {

// Both sinks at once (statsd-addr and dog-statsd-addr may both be set).
class Telemetry::FanOut final : public metrics::SampleSink {
 public:
  explicit FanOut(std::vector<metrics::SampleSink*> sinks) : sinks_(std::move(sinks)) {}
  void Record(Kind kind, std::string_view key, const metrics::Labels& labels,
              double value) override {
    for (metrics::SampleSink* s : sinks_) s->Record(kind, key, labels, value);
  }

 private:
  const std::vector<metrics::SampleSink*> sinks_;
};

Result<std::unique_ptr<Telemetry>> Telemetry::Start(const config::AgentConfig& config) {
  auto log = logging::Get("agent");
  std::unique_ptr<Telemetry> t(new Telemetry());
  t->metrics_ = std::make_unique<metrics::Metrics>();

  struct Target {
    const std::string& address;
    bool dogstatsd;
    const char* key;
  };
  for (const Target& target : {Target{config.statsd_addr, false, "statsd-addr"},
                               Target{config.dog_statsd_addr, true, "dog-statsd-addr"}}) {
    if (target.address.empty()) continue;
    auto sink = metrics::StatsdSink::Open(
        {.address = target.address,
         .dogstatsd = target.dogstatsd,
         .hostname = config.node_name,
         .tags = target.dogstatsd ? config.dog_statsd_tags : std::vector<std::string>{}});
    if (!sink.ok()) {
      return Status(sink.status().code(), std::string(target.key) + ": " + sink.status().message());
    }
    log->info("agent: sending metrics to {} at {}", target.dogstatsd ? "DogStatsD" : "statsd",
              target.address);
    t->sinks_.push_back(std::move(*sink));
  }
  if (!t->sinks_.empty()) {
    std::vector<metrics::SampleSink*> sinks;
    for (const auto& s : t->sinks_) sinks.push_back(s.get());
    t->fan_out_ = std::make_unique<FanOut>(std::move(sinks));
    t->metrics_->set_sink(t->fan_out_.get());
  }

  api::AuthOptions auth;
  for (const auto& [items, out, key] :
       {std::tuple{&config.auth_users, &auth.users, "auth-users"},
        std::tuple{&config.auth_tokens, &auth.tokens, "auth-tokens"}}) {
    for (const std::string& item : *items) {
      auto c = ParseCredential(item);
      if (!c.ok()) return Status::InvalidArgument(std::string(key) + ": " + c.status().message());
      out->push_back(std::move(*c));
    }
  }
  t->auth_ = std::make_unique<api::Authenticator>(std::move(auth));
  if (t->auth_->enabled()) {
    log->info("agent: API authentication on ({} user(s), {} token(s))", config.auth_users.size(),
              config.auth_tokens.size());
  } else {
    log->warn(
        "agent: API authentication is off (no auth-users or auth-tokens): anyone who can reach "
        "the HTTP port can change jobs");
  }
  return t;
}

Telemetry::~Telemetry() {
  metrics_.reset();  // no more samples
  for (auto& s : sinks_) s->Flush();
}

std::vector<api::Middleware> Telemetry::ApiMiddleware() const {
  std::vector<api::Middleware> out = {
      api::RequestMetrics(metrics_->http_requests, metrics_->http_duration)};
  if (auth_->enabled()) out.push_back(auth_->AsMiddleware());
  return out;
}

}  // namespace ckron::node
