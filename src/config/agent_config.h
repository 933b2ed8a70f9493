// The agent's configuration: every Dkron agent key (Dkron's
// dkron/config.go, reference/dkron-spec.md §8) plus ckron's own
// (raft-port, log-format). A plain value; the in-class initialisers are the
// defaults, except node_name whose default (the host name) the loader fills
// in. Where the values come from, their precedence and their checks live in
// config/loader.h; the key names, help texts and types in config/keys.h;
// docs/configuration.md describes each key for operators.
//
// Thread safety: a plain struct; copy it to share it between threads.
#ifndef CKRON_CONFIG_AGENT_CONFIG_H_
#define CKRON_CONFIG_AGENT_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace ckron::config {

// Dkron's default ports (brief: "the same default ports").
inline constexpr int kDefaultGossipPort = 8946;
inline constexpr int kDefaultRpcPort = 6868;
inline constexpr int kDefaultRaftPort = 8190;
inline constexpr int kDefaultHttpPort = 8080;

struct AgentConfig {
  // ---- role and identity ----
  // `server`: take part in Raft, serve the HTTP API and UI, may lead.
  bool server = false;
  // `node-name`: unique in the cluster; also the gossip member name and the
  // Raft id. Default: the host name. Never empty.
  std::string node_name;
  // `datacenter`: published as the `dc` tag.
  std::string datacenter = "dc1";
  // `region`: jobs only target nodes of their region.
  std::string region = "global";
  // `tags` (YAML map) / `--tag k=v` (repeatable): node tags for job
  // targeting. Keys are non-empty and not one of the reserved tags the agent
  // sets itself (config/keys.h kReservedTags). Reloaded on SIGHUP.
  std::map<std::string, std::string> tags;

  // ---- network ----
  // `bind-addr`: the address gossip (and, by IP, gRPC) binds to: host,
  // host:port, :port or a go-sockaddr template; the port defaults to 8946.
  std::string bind_addr = "{{ GetPrivateIP }}:8946";
  // `advertise-addr`: the address other members reach us at. "" means the
  // bind address (resolved to a concrete IP). Same syntax as bind_addr.
  std::string advertise_addr;
  // `http-addr`: where the HTTP API and UI listen (servers only).
  std::string http_addr = ":8080";
  // `rpc-port`: gRPC port, bound on the bind IP. 1-65535.
  int rpc_port = kDefaultRpcPort;
  // `advertise-rpc-port`: the gRPC port advertised in the rpc_addr/port
  // tags. 0 means rpc_port. 0-65535.
  int advertise_rpc_port = 0;
  // `raft-port` (ckron only): Raft listens on the bind IP at this port
  // (Dkron multiplexes Raft on rpc-port). 1-65535.
  int raft_port = kDefaultRaftPort;
  // `profile`: gossip timing, "lan", "wan" or "local" (memberlist's).
  std::string profile = "lan";
  // `encrypt`: base64 gossip key of 16, 24 or 32 bytes (`ckron keygen`,
  // `serf keygen`). "" disables gossip encryption. Secret.
  std::string encrypt;

  // ---- joining ----
  // `join`: addresses to join once at start; failure only warns.
  std::vector<std::string> join;
  // `retry-join`: addresses to join at start, retrying until one answers.
  std::vector<std::string> retry_join;
  // `retry-max`: give up after this many retry-join attempts; 0 = never.
  int retry_max = 0;
  // `retry-interval`: wait between retry-join attempts. > 0.
  absl::Duration retry_interval = absl::Seconds(30);
  // `serf-reconnect-timeout`: how long a failed member is retried before it
  // is reaped. > 0.
  absl::Duration serf_reconnect_timeout = absl::Hours(24);
  // `shutdown-grace` (ckron): on a graceful shutdown, how long running
  // executions may finish before they are cancelled. > 0.
  absl::Duration shutdown_grace = absl::Hours(3);

  // ---- Raft (servers) ----
  // `raft-multiplier`: scales election and heartbeat timeouts; 1 is the
  // fastest failover, 10 the most tolerant of slow networks. 1-10.
  int raft_multiplier = 1;
  // `bootstrap-expect`: wait for this many servers, then bootstrap the
  // cluster. 0 = off. Requires `server`; conflicts with `bootstrap`.
  int bootstrap_expect = 0;
  // `bootstrap` (YAML only): bootstrap a single-server cluster.
  bool bootstrap = false;
  // `data-dir`: where Raft and the replicated store keep their files.
  // Created at start if missing.
  std::string data_dir = "ckron.data";
  // `devmode` (YAML only): development mode (kept for compatibility).
  bool devmode = false;
  // `reconcileinterval` (YAML only): how often the leader reconciles gossip
  // members with Raft voters. > 0.
  absl::Duration reconcile_interval = absl::Seconds(60);

  // ---- HTTP ----
  // `ui`: serve the web UI at /ui (servers only).
  bool ui = true;
  // `cors-origins` (ckron only): comma-separated origins a browser may call
  // the API from; "*" (Dkron's behaviour) allows any, "" none.
  std::string cors_origins = "*";
  // `https-cert-file`, `https-key-file` (ckron only): PEM certificate chain
  // and private key; both set = the API serves HTTPS only (TLS 1.2+), both
  // empty = plain HTTP. Checked when the API starts.
  std::string https_cert_file;
  std::string https_key_file;
  // `https-client-ca-file` (ckron only): PEM CA certificate(s); when set,
  // API clients must present a certificate signed by one (mutual TLS).
  // Requires the two above.
  std::string https_client_ca_file;
  // `auth-users` (ckron only): HTTP basic auth users, each "name:hash"
  // with the hash from `ckron hash-secret` (common/secret_hash.h). Empty
  // with auth-tokens empty: the API is open (Dkron's behaviour).
  std::vector<std::string> auth_users;
  // `auth-tokens` (ckron only): bearer API tokens, each "label:hash".
  std::vector<std::string> auth_tokens;

  // ---- logging ----
  // `log-level`: debug, info, warn, error, fatal or panic. Reloaded on SIGHUP.
  std::string log_level = "info";
  // `log-format` (ckron only): "text" (logfmt-like) or "json".
  std::string log_format = "text";

  // ---- notifications (all reloaded on SIGHUP; reference/dkron-spec.md §10) ----
  std::string mail_host;        // `mail-host`: SMTP host
  std::uint16_t mail_port = 0;  // `mail-port`: SMTP port
  std::string mail_username;    // `mail-username`
  std::string mail_password;    // `mail-password` (secret)
  std::string mail_from;        // `mail-from`: sender address
  std::string mail_payload;     // `mail-payload`: body template
  // `mail-subject-prefix`: Dkron's default, kept for drop-in compatibility.
  std::string mail_subject_prefix = "[Dkron]";
  std::string pre_webhook_endpoint;              // `pre-webhook-endpoint`
  std::string pre_webhook_payload;               // `pre-webhook-payload`
  std::vector<std::string> pre_webhook_headers;  // `pre-webhook-headers`
  std::string webhook_endpoint;                  // `webhook-endpoint`
  std::string webhook_payload;                   // `webhook-payload`
  std::vector<std::string> webhook_headers;      // `webhook-headers`
  // `webhook-url`: deprecated in Dkron and unused there too; accepted with a
  // warning so old configurations still load. Use webhook_endpoint.
  std::string webhook_url;
  std::string cronitor_endpoint;  // `cronitor-endpoint`

  // ---- metrics and tracing ----
  std::string dog_statsd_addr;               // `dog-statsd-addr`
  std::vector<std::string> dog_statsd_tags;  // `dog-statsd-tags`: "k:v" each
  std::string statsd_addr;                   // `statsd-addr`
  bool enable_prometheus = false;            // `enable-prometheus`: /metrics
  std::string otel_endpoint;                 // `otel-endpoint`: OTLP/gRPC
  // `metrics-job-series-limit` (ckron only): jobs with their own series in
  // the per-job metrics (dkron_job_executions_*); executions of further jobs
  // are counted under job_name="_other". 0 = no limit.
  int metrics_job_series_limit = 10000;
  // `disable-usage-stats`: accepted for compatibility; ckron never reports
  // usage anywhere, whatever the value.
  bool disable_usage_stats = false;
};

}  // namespace ckron::config

#endif  // CKRON_CONFIG_AGENT_CONFIG_H_
