// The http executor's `executor_config` (dkron-spec §5.1), parsed the way
// Dkron's plugin/http/http.go reads it, with its messages.
//
// Thread safety: pure functions.
#ifndef CKRON_EXECUTOR_BUILTIN_HTTP_CONFIG_H_
#define CKRON_EXECUTOR_BUILTIN_HTTP_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "executor/executor.h"

namespace ckron::executor {

// `headers`: a JSON array of strings, e.g. ["Content-Type: application/json"].
// "" and JSON null mean none. Error (kInvalidArgument): "parsing headers
// failed" for anything else that is not an array of strings.
Result<std::vector<std::string>> ParseHeaderJson(std::string_view json);

struct HttpHeader {
  std::string name;
  std::string value;
  friend bool operator==(const HttpHeader&, const HttpHeader&) = default;
};

struct HeaderList {
  std::vector<HttpHeader> headers;    // in first-seen order, names unique (case-insensitive)
  std::vector<std::string> warnings;  // "header \"x\" has no ':', ignored"
};

// Turns "Name: value" entries into headers. The name is the text before the
// first ':' and the value everything after it, both trimmed — Dkron keeps
// only the text up to a second ':' ("Authorization: Basic a:b" loses ":b")
// and crashes on an entry without ':'; here such an entry is skipped with a
// warning. Empty entries are skipped. A later entry with the same name
// replaces the earlier one (Go's Header.Set). Errors (kInvalidArgument):
// `net/http: invalid header field name "x"` (not an HTTP token),
// `net/http: invalid header field value for "x"` (CR, LF or NUL).
Result<HeaderList> BuildHeaders(const std::vector<std::string>& entries);

// `expectCode`: a comma list of status codes ("200,201"); true when `code`
// is one of them, or the list is empty. Dkron tests whether
// "<expectCode>," contains "<code>," — a substring test under which "1200"
// accepts 200; here each item is compared whole (spaces around it ignored).
bool ExpectCodeMatches(std::string_view expect_code, long code);

struct HttpConfig {
  std::string method;
  std::string url;
  std::string body;
  std::vector<HttpHeader> headers;
  absl::Duration timeout = absl::ZeroDuration();  // zero: none
  std::string expect_code;
  std::string expect_body;  // RE2 (Go regexp syntax), unanchored
  bool debug = false;       // `debug` is non-empty
  bool tls_no_verify_peer = false;
  std::string tls_certificate_file;
  std::string tls_certificate_key_file;
  std::string tls_root_cas_file;
  // Lines for the output, in Dkron's wording: "Error: parsing headers
  // failed\n", "Warning: invalid timeout value: ...\n", ...
  std::string notes;
};

// `default_timeout_seconds`: used when `timeout` is empty or not an integer
// (Dkron: 30). A timeout <= 0 means none. Errors (kInvalidArgument):
// "url is empty", "method is empty", `net/http: invalid method "x"`, and the
// BuildHeaders() errors.
Result<HttpConfig> ParseHttpConfig(const ExecutorConfig& config,
                                   std::int64_t default_timeout_seconds);

// What the API checks when a job is stored: "url is empty", "method is
// empty".
Status ValidateHttpConfig(const ExecutorConfig& config);

// Dkron's debug line: Go's %#v of the config, e.g.
// `map[string]string{"method":"GET", "url":"http://x"}`.
std::string GoMapLiteral(const ExecutorConfig& config);

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_HTTP_CONFIG_H_
