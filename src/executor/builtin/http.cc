#include "executor/builtin/http.h"

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/log.h"
#include "executor/builtin/curl_pool.h"
#include "executor/builtin/go_compat.h"
#include "executor/builtin/http_config.h"
#include "executor/builtin/tls_files.h"
#include "executor/output_ring.h"
#include "re2/re2.h"

namespace ckron::executor {
namespace {

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

// Where the response body goes while it arrives.
struct BodySink {
  const std::function<void(std::string_view)>* emit;
  std::string* match_body;  // nullptr unless expectBody is set
  std::size_t max_match_body;
  bool too_big = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const std::size_t len = size * count;
  if (sink->match_body != nullptr) {
    if (sink->match_body->size() + len > sink->max_match_body) {
      sink->too_big = true;
      return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
    sink->match_body->append(data, len);
  }
  (*sink->emit)(std::string_view(data, len));
  return len;
}

// With `debug`: the request and response headers, for the log.
int OnDebug(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type == CURLINFO_HEADER_OUT || type == CURLINFO_HEADER_IN) {
    auto* log = static_cast<std::string*>(user);
    log->append(type == CURLINFO_HEADER_OUT ? "> " : "< ");
    log->append(data, size);
  }
  return 0;
}

// Go's url.Error op: "Get", "Post", ...
std::string GoOp(const std::string& method) {
  return method.substr(0, 1) + absl::AsciiStrToLower(method.substr(1));
}

// The pool key: the origin, and every setting that decides whether a
// connection may be reused.
std::string PoolKey(const HttpConfig& cfg, const TlsFiles& tls) {
  std::string origin = cfg.url;
  if (CURLU* u = curl_url()) {
    if (curl_url_set(u, CURLUPART_URL, cfg.url.c_str(), 0) == CURLUE_OK) {
      char *scheme = nullptr, *host = nullptr, *port = nullptr;
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
      curl_url_get(u, CURLUPART_HOST, &host, 0);
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
      origin =
          std::string(scheme ? scheme : "") + "://" + (host ? host : "") + ":" + (port ? port : "");
      curl_free(scheme);
      curl_free(host);
      curl_free(port);
    }
    curl_url_cleanup(u);
  }
  return origin + "|" + (cfg.tls_no_verify_peer ? "noverify" : "verify") + "|" +
         tls.certificate_file + "|" + tls.key_file + "|" + tls.root_cas_file;
}

bool HasHeader(const HttpConfig& cfg, const char* name) {
  for (const HttpHeader& h : cfg.headers) {
    if (absl::EqualsIgnoreCase(h.name, name)) return true;
  }
  return false;
}

// Sets every option of one request on a reset easy handle. Returns the
// first option libcurl refused.
CURLcode Configure(CURL* easy, const HttpConfig& cfg, const TlsFiles& tls,
                   const HttpOptions& options, curl_slist* headers, BodySink* body,
                   char* error_buffer, std::string* debug_log) {
  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption opt, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, value);
  };
  set(CURLOPT_URL, cfg.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 1L);
  set(CURLOPT_MAXREDIRS, 10L);  // Go's http.Client stops after 10
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROXY, "");  // Dkron's transport uses no proxy
  if (cfg.timeout > absl::ZeroDuration()) {
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(cfg.timeout)));
  }

  const std::string& m = cfg.method;
  const auto body_size = static_cast<curl_off_t>(cfg.body.size());
  if (m == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (m == "GET" && cfg.body.empty()) {
    set(CURLOPT_HTTPGET, 1L);
  } else if (m == "POST") {  // POST without CUSTOMREQUEST: a 301/302/303 turns it into GET, as Go
    set(CURLOPT_POSTFIELDSIZE_LARGE, body_size);
    set(CURLOPT_POSTFIELDS, cfg.body.c_str());
  } else {
    set(CURLOPT_CUSTOMREQUEST, m.c_str());
    if (!cfg.body.empty() || m == "PUT" || m == "PATCH") {  // Go sends Content-Length: 0 for these
      set(CURLOPT_POSTFIELDSIZE_LARGE, body_size);
      set(CURLOPT_POSTFIELDS, cfg.body.c_str());
    }
  }
  set(CURLOPT_HTTPHEADER, headers);
  if (!HasHeader(cfg, "User-Agent")) set(CURLOPT_USERAGENT, options.user_agent.c_str());
  if (!HasHeader(cfg, "Accept-Encoding")) set(CURLOPT_ACCEPT_ENCODING, "");  // + decoding

  if (cfg.tls_no_verify_peer) {
    set(CURLOPT_SSL_VERIFYPEER, 0L);
    set(CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls.root_cas_file.empty()) {  // these CAs only, as Go's RootCAs
    set(CURLOPT_CAINFO, tls.root_cas_file.c_str());
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  }
  if (!tls.certificate_file.empty()) {
    set(CURLOPT_SSLCERT, tls.certificate_file.c_str());
    set(CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(body));
  set(CURLOPT_ERRORBUFFER, error_buffer);
  if (debug_log != nullptr) {
    set(CURLOPT_DEBUGFUNCTION, &OnDebug);
    set(CURLOPT_DEBUGDATA, static_cast<void*>(debug_log));
    set(CURLOPT_VERBOSE, 1L);
  }
  return rc;
}

// The request's header list: the job's headers, and curl's own defaults
// that Go's client does not send switched off.
Slist BuildHeaderList(const HttpConfig& cfg) {
  curl_slist* list = nullptr;
  const auto append = [&list](const std::string& line) {
    if (curl_slist* next = curl_slist_append(list, line.c_str())) list = next;
  };
  for (const HttpHeader& h : cfg.headers) {
    // "Name:" would remove the header in libcurl; "Name;" sends it empty.
    append(h.value.empty() ? h.name + ";" : h.name + ": " + h.value);
  }
  for (const char* name : {"Accept", "Expect", "Content-Type"}) {
    if (!HasHeader(cfg, name)) append(std::string(name) + ":");
  }
  return Slist(list);
}

}  // namespace

HttpExecutor::HttpExecutor(HttpOptions options)
    : options_(std::move(options)),
      pool_(std::make_unique<CurlPool>(options_.max_pooled_origins, options_.max_idle_per_origin)) {
}

HttpExecutor::~HttpExecutor() = default;

Status HttpExecutor::Validate(const ExecutorConfig& config) const {
  return ValidateHttpConfig(config);
}

std::size_t HttpExecutor::idle_slots() const {
  return pool_->idle();
}

ExecuteResponse HttpExecutor::Execute(const ExecuteRequest& request, const OutputSink& sink,
                                      std::stop_token stop) {
  OutputRing ring;
  ExecuteResponse response;
  const std::function<void(std::string_view)> emit = [&](std::string_view chunk) {
    if (sink) sink(chunk);
    ring.Write(chunk);
  };
  const auto fail = [&](std::string error) {
    response.error = std::move(error);
    response.output = ring.Contents();
    return std::move(response);
  };
  auto log = logging::Get("executor");

  const bool debug = request.config.count("debug") > 0 && !request.config.at("debug").empty();
  if (debug) {
    const std::string config_line = GoMapLiteral(request.config);
    log->info("http: job {} config {}", request.job_name.value(), config_line);
    emit("Config: " + config_line + "\n");
  }
  Result<HttpConfig> parsed = ParseHttpConfig(request.config, options_.default_timeout_seconds);
  if (!parsed.ok()) return fail(parsed.status().message());
  const HttpConfig& cfg = *parsed;
  if (!cfg.notes.empty()) emit(cfg.notes);
  const TlsFiles tls =
      CheckTlsFiles(cfg.tls_certificate_file, cfg.tls_certificate_key_file, cfg.tls_root_cas_file);
  for (const std::string& w : tls.warnings) emit("Warning: " + w + ".\n");

  const std::string where = GoOp(cfg.method) + " " + gocompat::Quote(cfg.url);
  if (stop.stop_requested()) return fail(where + ": request cancelled");

  const std::string key = PoolKey(cfg, tls);
  std::unique_ptr<CurlSlot> slot = pool_->Acquire(key);
  if (slot == nullptr) return fail(where + ": cannot allocate a libcurl handle");
  CURL* easy = slot->easy();
  CURLM* multi = slot->multi();
  curl_easy_reset(easy);

  std::string match_body;
  BodySink body{&emit, cfg.expect_body.empty() ? nullptr : &match_body,
                options_.max_match_body_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::string debug_log;
  Slist headers = BuildHeaderList(cfg);
  if (const CURLcode rc = Configure(easy, cfg, tls, options_, headers.get(), &body, error_buffer,
                                    debug ? &debug_log : nullptr);
      rc != CURLE_OK) {
    return fail(where + ": " + curl_easy_strerror(rc));
  }

  bool cancelled = false;
  std::optional<CURLcode> result;
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    return fail(where + ": cannot start the transfer");
  }
  {
    // A stop request wakes curl_multi_poll (thread-safe by contract).
    std::stop_callback on_stop(stop, [multi] { curl_multi_wakeup(multi); });
    int running = 1;
    while (true) {
      if (curl_multi_perform(multi, &running) != CURLM_OK || running == 0) break;
      if (stop.stop_requested()) {
        cancelled = true;
        break;
      }
      if (curl_multi_poll(multi, nullptr, 0, 1000, nullptr) != CURLM_OK) break;
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg == CURLMSG_DONE) result = msg->data.result;
    }
    curl_multi_remove_handle(multi, easy);  // an unfinished transfer's connection is closed
  }
  if (debug && !debug_log.empty())
    log->info("http: job {}:\n{}", request.job_name.value(), debug_log);

  if (cancelled) return fail(where + ": request cancelled");
  if (!result) return fail(where + ": the transfer did not complete");
  if (*result != CURLE_OK) {
    if (body.too_big) {
      return fail("response body exceeds " + std::to_string(options_.max_match_body_bytes) +
                  " bytes, too large to match expectBody");
    }
    return fail(where + ": " +
                (error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(*result)));
  }
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_reset(easy);  // drops pointers into this frame; keeps the connection
  pool_->Release(key, std::move(slot));

  if (!ExpectCodeMatches(cfg.expect_code, code)) {
    return fail("received response code does not match the expected code");
  }
  if (!cfg.expect_body.empty()) {
    RE2::Options re_options;
    re_options.set_log_errors(false);
    const RE2 re(cfg.expect_body, re_options);
    if (!re.ok()) return fail("expectBody: invalid regular expression: " + re.error());
    if (!RE2::PartialMatch(match_body, re)) {
      return fail("received response body did not match the expected body");
    }
  }
  if (ring.truncated()) {
    log->debug("'{} {}': generated {} bytes of output, truncated to {}", cfg.method, cfg.url,
               ring.total_written(), ring.capacity());
  }
  response.output = ring.Contents();
  return response;
}

}  // namespace ckron::executor
