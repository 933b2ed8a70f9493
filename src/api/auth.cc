#include "api/auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace ckron::api {
namespace {

// This absl predates its std::string_view aliasing.
absl::string_view A(std::string_view s) {
  return {s.data(), s.size()};
}

constexpr char kChallenge[] = "Basic realm=\"ckron\"";

// RFC 7235 §2.1: the scheme is a token, case-insensitive, then one or more
// spaces. Returns the credentials part when `header` starts with `scheme`.
std::optional<std::string_view> AfterScheme(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() ||
      !absl::EqualsIgnoreCase(A(header.substr(0, scheme.size())), A(scheme))) {
    return std::nullopt;
  }
  if (header[scheme.size()] != ' ') return std::nullopt;
  const absl::string_view rest = absl::StripAsciiWhitespace(A(header.substr(scheme.size())));
  return std::string_view(rest.data(), rest.size());
}

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

std::string CacheKey(const Presented& p) {
  // Length-prefixed so that ("a:b", "c") and ("a", "b:c") differ.
  return Sha256(absl::StrCat(p.scheme == Presented::Scheme::kBasic ? "B" : "T", p.name.size(), ":",
                             p.name, p.secret));
}

}  // namespace

Result<Presented> ParseAuthorization(std::string_view header) {
  Presented p;
  if (auto cred = AfterScheme(header, "Basic")) {
    for (char c : *cred) {
      if (!IsBase64Char(c)) {
        return Status::InvalidArgument("Authorization: Basic credentials are not base64");
      }
    }
    std::string plain;
    if (cred->empty() || !absl::Base64Unescape(A(*cred), &plain)) {
      return Status::InvalidArgument("Authorization: Basic credentials are not base64");
    }
    const std::size_t colon = plain.find(':');
    if (colon == std::string::npos) {
      return Status::InvalidArgument(
          "Authorization: Basic credentials lack the ':' after the user");
    }
    p.scheme = Presented::Scheme::kBasic;
    p.name = plain.substr(0, colon);
    p.secret = plain.substr(colon + 1);
    return p;
  }
  if (auto token = AfterScheme(header, "Bearer")) {
    if (token->empty()) return Status::InvalidArgument("Authorization: Bearer token is empty");
    p.scheme = Presented::Scheme::kBearer;
    p.secret = std::string(*token);
    return p;
  }
  return Status::InvalidArgument("Authorization: expected the Basic or Bearer scheme");
}

Authenticator::Authenticator(AuthOptions options) : options_(std::move(options)) {
  // Same cost as a real user's check (the first user's iterations).
  const std::uint32_t iterations =
      options_.users.empty() ? SecretHash::kMinIterations : options_.users.front().hash.iterations;
  dummy_.iterations = iterations;
  dummy_.salt = std::string(16, 's');
  dummy_.hash = std::string(32, 'h');
}

Result<std::string> Authenticator::Check(const Presented& p) const {
  const std::string key = CacheKey(p);
  const absl::Time now = options_.clock->Now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (now < it->second.second) return it->second.first;
      cache_.erase(it);
    }
  }
  std::optional<std::string> who;
  if (p.scheme == Presented::Scheme::kBasic) {
    const Credential* user = nullptr;
    for (const Credential& c : options_.users) {
      if (c.name == p.name) user = &c;
    }
    if (user != nullptr) {
      if (user->hash.Matches(p.secret)) who = p.name;
    } else {
      // An unknown user costs a KDF run too, so timing does not reveal names.
      (void)dummy_.Matches(p.secret);
    }
  } else {
    for (const Credential& c : options_.tokens) {
      if (c.hash.Matches(p.secret)) {
        who = "token:" + c.name;
        break;
      }
    }
  }
  if (!who) {
    return Status::InvalidArgument(p.scheme == Presented::Scheme::kBasic
                                       ? "invalid user name or password"
                                       : "invalid API token");
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= options_.cache_capacity) cache_.clear();
  cache_[key] = {*who, now + options_.cache_ttl};
  return *who;
}

Result<std::string> Authenticator::Authenticate(const Request& request) const {
  const std::string header = request.Header("authorization");
  if (!header.empty()) {
    CKRON_ASSIGN_OR_RETURN(Presented p, ParseAuthorization(header));
    if (p.scheme == Presented::Scheme::kBasic && options_.users.empty()) {
      return Status::InvalidArgument("basic auth is not configured; use an API token");
    }
    if (p.scheme == Presented::Scheme::kBearer && options_.tokens.empty()) {
      return Status::InvalidArgument("API tokens are not configured; use basic auth");
    }
    return Check(p);
  }
  if (request.method == "GET") {
    if (auto token = request.Query("access_token"); token && !token->empty()) {
      if (options_.tokens.empty()) {
        return Status::InvalidArgument("API tokens are not configured; use basic auth");
      }
      return Check({.scheme = Presented::Scheme::kBearer, .secret = *token});
    }
  }
  return Status::InvalidArgument("credentials required");
}

void Authenticator::NoteFailure(const Request& request, const std::string& why) const {
  const absl::Time now = options_.clock->Now();
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mu_);
    ++failures_;
    if (now - last_log_ < options_.log_interval) {
      ++unlogged_failures_;
      return;
    }
    last_log_ = now;
    suppressed = unlogged_failures_;
    unlogged_failures_ = 0;
  }
  logging::Get("api")->warn(
      "api: authentication failed for {} {} from {}: {}{}", request.method, request.path,
      request.remote.empty() ? "?" : request.remote, why,
      suppressed > 0 ? absl::StrCat(" (and ", suppressed, " more failures not logged)") : "");
}

std::uint64_t Authenticator::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

Middleware Authenticator::AsMiddleware() const {
  return [this](Request& r, const Handler& next) -> Response {
    if (r.method == "OPTIONS") return next(r);
    for (const std::string& open : options_.open_routes) {
      if (r.route == open) return next(r);
    }
    auto who = Authenticate(r);
    if (who.ok()) return next(r);
    const bool presented = !r.Header("authorization").empty() || r.HasQuery("access_token");
    if (presented) NoteFailure(r, who.status().message());
    Response denied = TextError(401, "unauthorized: " + who.status().message());
    // No challenge for the web UI's calls (X-Requested-With) nor for an
    // event stream: a browser's EventSource can set no header, and a
    // challenge to it makes the browser raise its own password box over the
    // UI (found by ui/e2e/auth.mjs: headless Chromium then takes no input).
    const bool ui_call = !r.Header("x-requested-with").empty() ||
                         r.Header("accept").find("text/event-stream") != std::string::npos;
    if (!ui_call) denied.SetHeader("WWW-Authenticate", kChallenge);
    return denied;
  };
}

}  // namespace ckron::api
