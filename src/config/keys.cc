#include "config/keys.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "common/go_duration.h"

namespace ckron::config {
namespace {

using C = AgentConfig;
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

// Help texts paraphrase Dkron's flag help (dkron/config.go ConfigFlagSet);
// ckron-only keys and behaviour differences are marked in docs/configuration.md.
const KeySpec kKeys[] = {
    {.name = "server",
     .field = &C::server,
     .flag_name = "server",
     .help = "Run in server mode: take part in Raft, serve the HTTP API and UI, and be "
             "eligible to lead."},
    {.name = "node-name",
     .field = &C::node_name,
     .flag_name = "node-name",
     .help = "Name of this node; must be unique in the cluster.",
     .check = Check::kNonEmpty},
    {.name = "bind-addr",
     .field = &C::bind_addr,
     .flag_name = "bind-addr",
     .help = "Address the agent binds its cluster services to (gossip; gRPC and Raft use its IP). "
             "host, host:port, :port or a go-sockaddr template; the port defaults to 8946.",
     .check = Check::kAddress},
    {.name = "advertise-addr",
     .field = &C::advertise_addr,
     .flag_name = "advertise-addr",
     .help = "Address advertised to other members; empty means the bind address. Accepts "
             "go-sockaddr templates.",
     .check = Check::kAddress},
    {.name = "http-addr",
     .field = &C::http_addr,
     .flag_name = "http-addr",
     .help = "Address the HTTP API and web UI listen on (servers only). Accepts go-sockaddr "
             "templates.",
     .check = Check::kAddress},
    {.name = "profile",
     .field = &C::profile,
     .flag_name = "profile",
     .help = "Gossip timing profile: lan, wan or local.",
     .check = Check::kProfile},
    {.name = "join",
     .field = &C::join,
     .flag_name = "join",
     .help = "Address of an agent to join once at start; repeat the flag or separate with "
             "commas for several."},
    {.name = "retry-join",
     .field = &C::retry_join,
     .flag_name = "retry-join",
     .help = "Address of an agent to join at start, retrying until it answers; repeatable."},
    {.name = "retry-max",
     .field = &C::retry_max,
     .flag_name = "retry-max",
     .help = "Maximum number of retry-join attempts; 0 retries forever.",
     .min = 0,
     .max = kIntMax},
    {.name = "retry-interval",
     .field = &C::retry_interval,
     .flag_name = "retry-interval",
     .help = "Time between retry-join attempts (Go duration).",
     .check = Check::kPositive},
    {.name = "raft-multiplier",
     .field = &C::raft_multiplier,
     .flag_name = "raft-multiplier",
     .help = "Scales Raft's election and heartbeat timeouts: 1 fails over fastest, higher "
             "values tolerate slower networks. 1-10.",
     .min = 1,
     .max = 10},
    {.name = "tags",
     .field = &C::tags,
     .flag_name = "tag",
     .alias = "tag",
     .help = "Node tag key=value; repeat the flag for several. In files, `tags:` is a map.",
     .check = Check::kNodeTags,
     .reloadable = true},
    {.name = "encrypt",
     .field = &C::encrypt,
     .flag_name = "encrypt",
     .help = "Gossip encryption key: base64 of 16, 24 or 32 bytes (see `ckron keygen`).",
     .check = Check::kEncryptKey,
     .secret = true},
    {.name = "log-level",
     .field = &C::log_level,
     .flag_name = "log-level",
     .help = "Log level: debug, info, warn, error, fatal or panic.",
     .check = Check::kLogLevel,
     .reloadable = true},
    {.name = "log-format",
     .field = &C::log_format,
     .flag_name = "log-format",
     .help = "Log line format: text or json.",
     .check = Check::kLogFormat,
     .ckron_only = true},
    {.name = "rpc-port",
     .field = &C::rpc_port,
     .flag_name = "rpc-port",
     .help = "gRPC port for agent and CLI traffic, bound on the bind address's IP.",
     .min = 1,
     .max = 65535},
    {.name = "advertise-rpc-port",
     .field = &C::advertise_rpc_port,
     .flag_name = "advertise-rpc-port",
     .help = "gRPC port advertised to other members; 0 means rpc-port.",
     .min = 0,
     .max = 65535},
    {.name = "raft-port",
     .field = &C::raft_port,
     .flag_name = "raft-port",
     .help = "Port Raft listens on (servers), bound on the bind address's IP.",
     .min = 1,
     .max = 65535,
     .ckron_only = true},
    {.name = "bootstrap-expect",
     .field = &C::bootstrap_expect,
     .flag_name = "bootstrap-expect",
     .help = "Number of servers to wait for before bootstrapping the cluster; must agree "
             "across servers. Requires server mode.",
     .min = 0,
     .max = kIntMax},
    {.name = "data-dir",
     .field = &C::data_dir,
     .flag_name = "data-dir",
     .help = "Directory for server state (Raft log, snapshots, replicated store).",
     .check = Check::kNonEmpty},
    {.name = "datacenter",
     .field = &C::datacenter,
     .flag_name = "datacenter",
     .help = "Datacenter of this agent, published as the dc tag.",
     .check = Check::kNonEmpty},
    {.name = "region",
     .field = &C::region,
     .flag_name = "region",
     .help = "Region of this agent; jobs only run on nodes of their region.",
     .check = Check::kNonEmpty},
    {.name = "serf-reconnect-timeout",
     .field = &C::serf_reconnect_timeout,
     .flag_name = "serf-reconnect-timeout",
     .help = "How long to keep trying to reconnect to a failed member before forgetting it "
             "(Go duration).",
     .check = Check::kPositive},
    {.name = "shutdown-grace",
     .field = &C::shutdown_grace,
     .flag_name = "shutdown-grace",
     .help = "On a graceful shutdown, how long running executions may finish before they are "
             "cancelled (Go duration; Dkron waits up to 3h).",
     .check = Check::kPositive,
     .ckron_only = true},
    {.name = "cors-origins",
     .field = &C::cors_origins,
     .flag_name = "cors-origins",
     .help = "Comma-separated origins browsers may call the HTTP API from; \"*\" allows any, "
             "empty none.",
     .ckron_only = true},
    {.name = "https-cert-file",
     .field = &C::https_cert_file,
     .flag_name = "https-cert-file",
     .help = "PEM certificate chain for the HTTP API; with https-key-file the API serves HTTPS "
             "only (TLS 1.2+).",
     .ckron_only = true},
    {.name = "https-key-file",
     .field = &C::https_key_file,
     .flag_name = "https-key-file",
     .help = "PEM private key of https-cert-file (unencrypted).",
     .ckron_only = true},
    {.name = "https-client-ca-file",
     .field = &C::https_client_ca_file,
     .flag_name = "https-client-ca-file",
     .help = "PEM CA certificate(s): API clients must present a certificate signed by one "
             "(mutual TLS). Requires https-cert-file and https-key-file.",
     .ckron_only = true},
    {.name = "ui",
     .field = &C::ui,
     .flag_name = "ui",
     .help = "Serve the web UI on this node (servers only)."},
    {.name = "auth-users",
     .field = &C::auth_users,
     .flag_name = "auth-users",
     .help = "HTTP basic auth user of the API, as name:hash (hash from ckron hash-secret); "
             "repeatable. With auth-tokens empty too, the API is open.",
     .check = Check::kCredentials,
     .secret = true,
     .ckron_only = true},
    {.name = "auth-tokens",
     .field = &C::auth_tokens,
     .flag_name = "auth-tokens",
     .help = "Bearer API token, as label:hash (hash from ckron hash-secret); repeatable.",
     .check = Check::kCredentials,
     .secret = true,
     .ckron_only = true},
    {.name = "mail-host",
     .field = &C::mail_host,
     .flag_name = "mail-host",
     .help = "SMTP server host for notification mail.",
     .reloadable = true},
    {.name = "mail-port",
     .field = &C::mail_port,
     .flag_name = "mail-port",
     .help = "SMTP server port.",
     .min = 0,
     .max = 65535,
     .reloadable = true},
    {.name = "mail-username",
     .field = &C::mail_username,
     .flag_name = "mail-username",
     .help = "SMTP user name.",
     .reloadable = true},
    {.name = "mail-password",
     .field = &C::mail_password,
     .flag_name = "mail-password",
     .help = "SMTP password.",
     .secret = true,
     .reloadable = true},
    {.name = "mail-from",
     .field = &C::mail_from,
     .flag_name = "mail-from",
     .help = "Sender address of notification mail.",
     .reloadable = true},
    {.name = "mail-payload",
     .field = &C::mail_payload,
     .flag_name = "mail-payload",
     .help = "Body template of notification mail.",
     .reloadable = true},
    {.name = "mail-subject-prefix",
     .field = &C::mail_subject_prefix,
     .flag_name = "mail-subject-prefix",
     .help = "Prefix of notification mail subjects.",
     .reloadable = true},
    {.name = "pre-webhook-endpoint",
     .field = &C::pre_webhook_endpoint,
     .flag_name = "pre-webhook-endpoint",
     .help = "URL called before a job runs.",
     .reloadable = true},
    {.name = "pre-webhook-payload",
     .field = &C::pre_webhook_payload,
     .flag_name = "pre-webhook-payload",
     .help = "Body template of the pre-webhook POST.",
     .reloadable = true},
    {.name = "pre-webhook-headers",
     .field = &C::pre_webhook_headers,
     .flag_name = "pre-webhook-headers",
     .help = "Header for the pre-webhook call (\"Name: value\"); repeatable.",
     .reloadable = true},
    {.name = "webhook-endpoint",
     .field = &C::webhook_endpoint,
     .flag_name = "webhook-endpoint",
     .help = "URL called when a job finishes.",
     .reloadable = true},
    {.name = "webhook-url",
     .field = &C::webhook_url,
     .flag_name = "webhook-url",
     .help = "Deprecated and ignored (as in Dkron); use webhook-endpoint.",
     .reloadable = true,
     .deprecated = true},
    {.name = "webhook-payload",
     .field = &C::webhook_payload,
     .flag_name = "webhook-payload",
     .help = "Body template of the webhook POST.",
     .reloadable = true},
    {.name = "webhook-headers",
     .field = &C::webhook_headers,
     .flag_name = "webhook-headers",
     .help = "Header for the webhook call (\"Name: value\"); repeatable.",
     .reloadable = true},
    {.name = "cronitor-endpoint",
     .field = &C::cronitor_endpoint,
     .flag_name = "cronitor-endpoint",
     .help = "Cronitor endpoint notified of job runs.",
     .reloadable = true},
    {.name = "dog-statsd-addr",
     .field = &C::dog_statsd_addr,
     .flag_name = "dog-statsd-addr",
     .help = "DogStatsD agent address for metrics."},
    {.name = "dog-statsd-tags",
     .field = &C::dog_statsd_tags,
     .flag_name = "dog-statsd-tags",
     .help = "DogStatsD tag key:value added to every metric; repeatable.",
     .check = Check::kStatsdTags},
    {.name = "statsd-addr",
     .field = &C::statsd_addr,
     .flag_name = "statsd-addr",
     .help = "StatsD server address for metrics."},
    {.name = "metrics-job-series-limit",
     .field = &C::metrics_job_series_limit,
     .flag_name = "metrics-job-series-limit",
     .help = "Jobs with their own series in the per-job metrics; executions of further jobs "
             "count under job_name=\"_other\". 0 = no limit.",
     .min = 0,
     .max = kIntMax,
     .ckron_only = true},
    {.name = "enable-prometheus",
     .field = &C::enable_prometheus,
     .flag_name = "enable-prometheus",
     .help = "Serve Prometheus metrics at /metrics."},
    {.name = "otel-endpoint",
     .field = &C::otel_endpoint,
     .flag_name = "otel-endpoint",
     .help = "OpenTelemetry OTLP/gRPC endpoint for traces."},
    {.name = "disable-usage-stats",
     .field = &C::disable_usage_stats,
     .flag_name = "disable-usage-stats",
     .help = "Accepted for compatibility; ckron never sends usage statistics."},
    // Dkron's YAML-only keys (no flag).
    {.name = "bootstrap",
     .field = &C::bootstrap,
     .help = "Bootstrap a single-server cluster (server only; conflicts with bootstrap-expect)."},
    {.name = "devmode",
     .field = &C::devmode,
     .help = "Development mode; accepted for compatibility."},
    {.name = "reconcileinterval",
     .field = &C::reconcile_interval,
     .help = "How often the leader reconciles gossip members with Raft servers (Go duration).",
     .check = Check::kPositive},
};

std::string Join(const std::vector<std::string>& v) {
  return absl::StrJoin(v, ",");
}

std::string Join(const std::map<std::string, std::string>& m) {
  return absl::StrJoin(m, ",", absl::PairFormatter("="));
}

}  // namespace

std::span<const KeySpec> AllKeys() {
  return kKeys;
}

const KeySpec* FindKey(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  for (const KeySpec& k : kKeys) {
    if (lower == k.name || (!k.flag_name.empty() && lower == k.flag_name) ||
        (!k.alias.empty() && lower == k.alias)) {
      return &k;
    }
  }
  return nullptr;
}

std::string_view TypeName(const KeySpec& key) {
  switch (key.field.index()) {
    case 0:
      return "bool";
    case 1:
      return "int";
    case 2:
      return "uint16";
    case 3:
      return "duration";
    case 4:
      return "string";
    case 5:
      return "list";
    case 6:
      return "map";
  }
  return "?";
}

std::string FormatValue(const KeySpec& key, const AgentConfig& config, bool redact) {
  std::string text = std::visit(
      [&](auto member) -> std::string {
        const auto& v = config.*member;
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, std::uint16_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, absl::Duration>) {
          return FormatGoDuration(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else {
          return Join(v);
        }
      },
      key.field);
  if (redact && key.secret && !text.empty()) return "<redacted>";
  return text;
}

bool SameValue(const KeySpec& key, const AgentConfig& a, const AgentConfig& b) {
  return std::visit([&](auto member) { return a.*member == b.*member; }, key.field);
}

std::string EnvName(std::string_view prefix, std::string_view key_name) {
  std::string out(prefix);
  for (char c : key_name)
    out += c == '-' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  return out;
}

}  // namespace ckron::config
