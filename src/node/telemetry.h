// The agent's metrics and API access control, built from its
// configuration by the composition root (node/agent.cc):
//
//   - one metrics::Metrics registry (served at GET /metrics, always: see
//     docs/api.md "Metrics"), with the statsd and DogStatsD sinks started
//     when statsd-addr / dog-statsd-addr are set (dog-statsd-tags, and the
//     node name as host:<name>);
//   - the API middleware: request metrics outermost, then authentication
//     when auth-users or auth-tokens are set (api/auth.h).
//
// Thread safety: built and destroyed on the main thread; the registry and
// the middleware are safe for concurrent use.
#ifndef CKRON_NODE_TELEMETRY_H_
#define CKRON_NODE_TELEMETRY_H_

#include <memory>
#include <vector>

#include "api/auth.h"
#include "api/http_types.h"
#include "common/status.h"
#include "config/agent_config.h"
#include "metrics/metrics.h"
#include "metrics/statsd.h"

namespace ckron::node {

class Telemetry {
 public:
  // Errors: kInvalidArgument (a statsd address is not host:port),
  // kUnavailable (it does not resolve). The loader has checked the
  // credentials; a bad one here is kInvalidArgument too.
  static Result<std::unique_ptr<Telemetry>> Start(const config::AgentConfig& config);
  ~Telemetry();  // flushes the statsd sinks

  metrics::Metrics& metrics() { return *metrics_; }
  bool auth_enabled() const { return auth_->enabled(); }
  // For ApiOptions::middleware; valid while this object lives.
  std::vector<api::Middleware> ApiMiddleware() const;

 private:
  Telemetry() = default;

  class FanOut;
  std::vector<std::unique_ptr<metrics::StatsdSink>> sinks_;
  std::unique_ptr<FanOut> fan_out_;
  // Destroyed before the sinks it records into.
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<api::Authenticator> auth_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_TELEMETRY_H_
