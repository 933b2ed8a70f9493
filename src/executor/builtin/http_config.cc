#include "executor/builtin/http_config.h"

#include <unordered_map>

#include "absl/strings/ascii.h"
#include "executor/builtin/go_compat.h"
#include "nlohmann/json.hpp"

namespace ckron::executor {
namespace {

std::string Get(const ExecutorConfig& config, const std::string& key) {
  auto it = config.find(key);
  return it == config.end() ? std::string() : it->second;
}

// RFC 9110 token characters (Go's httpguts.IsTokenRune).
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

}  // namespace

Result<std::vector<std::string>> ParseHeaderJson(std::string_view json) {
  std::vector<std::string> out;
  if (json.empty()) return out;
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("parsing headers failed");
  if (doc.is_null()) return out;  // JSON null: none (Go's nil slice)
  if (!doc.is_array()) return Status::InvalidArgument("parsing headers failed");
  for (const nlohmann::json& item : doc) {
    if (!item.is_string()) return Status::InvalidArgument("parsing headers failed");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<HeaderList> BuildHeaders(const std::vector<std::string>& entries) {
  HeaderList list;
  std::unordered_map<std::string, std::size_t> index;  // lower-case name -> position
  for (const std::string& entry : entries) {
    if (entry.empty()) continue;
    const std::size_t colon = entry.find(':');
    if (colon == std::string::npos) {
      list.warnings.push_back("header " + gocompat::Quote(entry) + " has no ':', ignored");
      continue;
    }
    HttpHeader h{std::string(gocompat::TrimSpace(std::string_view(entry).substr(0, colon))),
                 std::string(gocompat::TrimSpace(std::string_view(entry).substr(colon + 1)))};
    if (!IsToken(h.name)) {
      return Status::InvalidArgument("net/http: invalid header field name " +
                                     gocompat::Quote(h.name));
    }
    if (h.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status::InvalidArgument("net/http: invalid header field value for " +
                                     gocompat::Quote(h.name));
    }
    auto [it, inserted] = index.try_emplace(absl::AsciiStrToLower(h.name), list.headers.size());
    if (inserted) {
      list.headers.push_back(std::move(h));
    } else {
      list.headers[it->second] = std::move(h);
    }
  }
  return list;
}

bool ExpectCodeMatches(std::string_view expect_code, long code) {
  if (expect_code.empty()) return true;
  const std::string wanted = std::to_string(code);
  while (true) {
    const std::size_t comma = expect_code.find(',');
    if (gocompat::TrimSpace(expect_code.substr(0, comma)) == wanted) return true;
    if (comma == std::string_view::npos) return false;
    expect_code.remove_prefix(comma + 1);
  }
}

Result<HttpConfig> ParseHttpConfig(const ExecutorConfig& config,
                                   std::int64_t default_timeout_seconds) {
  CKRON_RETURN_IF_ERROR(ValidateHttpConfig(config));
  HttpConfig out;
  out.url = Get(config, "url");
  out.method = Get(config, "method");
  if (!IsToken(out.method)) {
    return Status::InvalidArgument("net/http: invalid method " + gocompat::Quote(out.method));
  }
  out.body = Get(config, "body");
  out.expect_code = Get(config, "expectCode");
  out.expect_body = Get(config, "expectBody");
  out.debug = !Get(config, "debug").empty();
  out.tls_certificate_file = Get(config, "tlsCertificateFile");
  out.tls_certificate_key_file = Get(config, "tlsCertificateKeyFile");
  out.tls_root_cas_file = Get(config, "tlsRootCAsFile");

  std::vector<std::string> entries;
  if (Result<std::vector<std::string>> parsed = ParseHeaderJson(Get(config, "headers"));
      parsed.ok()) {
    entries = std::move(*parsed);
  } else {
    out.notes += "Error: parsing headers failed\n";
  }
  CKRON_ASSIGN_OR_RETURN(HeaderList headers, BuildHeaders(entries));
  out.headers = std::move(headers.headers);
  for (const std::string& w : headers.warnings) out.notes += "Warning: " + w + ".\n";

  const std::string timeout = Get(config, "timeout");
  std::int64_t seconds = default_timeout_seconds;
  if (Result<std::int64_t> t = gocompat::Atoi(timeout); t.ok()) {
    seconds = *t;
  } else if (!timeout.empty()) {
    out.notes += "Warning: invalid timeout value: " + gocompat::Quote(timeout) +
                 " not understood (" + t.status().message() + "), using default value of " +
                 std::to_string(default_timeout_seconds) + ".\n";
  }
  if (seconds > 0) out.timeout = absl::Seconds(seconds);

  const std::string no_verify = Get(config, "tlsNoVerifyPeer");
  if (Result<bool> b = gocompat::ParseBool(no_verify); b.ok()) {
    out.tls_no_verify_peer = *b;
  } else if (!no_verify.empty()) {
    out.notes += "Warning: not disabling certificate validation: " + b.status().message() + ".\n";
  }
  return out;
}

Status ValidateHttpConfig(const ExecutorConfig& config) {
  if (Get(config, "url").empty()) return Status::InvalidArgument("url is empty");
  if (Get(config, "method").empty()) return Status::InvalidArgument("method is empty");
  return OkStatus();
}

std::string GoMapLiteral(const ExecutorConfig& config) {
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [key, value] : config) {  // std::map: sorted, as Go's fmt sorts map keys
    if (!first) out += ", ";
    first = false;
    out += gocompat::Quote(key) + ":" + gocompat::Quote(value);
  }
  out += "}";
  return out;
}

}  // namespace ckron::executor
