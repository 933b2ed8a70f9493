// Authentication of REST API requests (docs/api.md "Authentication"):
// HTTP basic auth users and bearer API tokens from the configuration file
// (auth-users, auth-tokens; hashed at rest, common/secret_hash.h). Both are
// optional; when neither is configured the agent installs no middleware
// and the API is open, as Dkron's.
//
// A request is let through when it carries one of:
//   Authorization: Basic base64(<user>:<password>)
//   Authorization: Bearer <token>
//   ?access_token=<token>   on GET only (a browser's EventSource cannot
//                           set headers)
// Open without credentials: the routes in AuthOptions::open_routes
// (/health, /ready, the UI's static files) and every OPTIONS request (CORS
// preflights carry no credentials). Anything else gets 401 with
// `WWW-Authenticate: Basic realm="ckron"` and a message; without that
// header when the request says `X-Requested-With` (the web UI's calls) or
// accepts `text/event-stream` (an EventSource, which sends no custom
// header), so that a browser does not raise its own password box over the
// UI's form.
//
// Cost: checking a secret runs PBKDF2 (slow on purpose), so a verified
// (kind, name, secret) is remembered for cache_ttl under the SHA-256 of
// the three: a client sending the same credentials thousands of times a
// second pays the KDF once a minute. Only successes are cached. Failures
// are logged as warnings, at most one line per log_interval (with the
// number of failures since the last line).
//
// Auth is enforced where a request enters the cluster: a follower
// forwards writes to the leader over gRPC (Cluster.Propose), which trusts
// the follower (gRPC is secured with mTLS, not with these credentials).
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_API_AUTH_H_
#define CKRON_API_AUTH_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/time/time.h"
#include "api/http_types.h"
#include "common/clock.h"
#include "common/secret_hash.h"
#include "common/status.h"

namespace ckron::api {

// What an Authorization header presents.
struct Presented {
  enum class Scheme { kBasic, kBearer };
  Scheme scheme = Scheme::kBasic;
  std::string name;    // basic: the user; bearer: ""
  std::string secret;  // basic: the password; bearer: the token
};
// Parses `Basic <base64 user:password>` or `Bearer <token>` (scheme names
// case-insensitive, RFC 7235 §2.1). Errors: kInvalidArgument saying what
// is wrong (unknown scheme, bad base64, no ':').
Result<Presented> ParseAuthorization(std::string_view header);

struct AuthOptions {
  std::vector<Credential> users;   // basic auth
  std::vector<Credential> tokens;  // bearer tokens
  // Routes (Request::route patterns) served without credentials: health
  // checks, and the web UI's static files (they hold no data; the UI then
  // signs in to the API itself).
  std::vector<std::string> open_routes = {"/health",     "/ready",         "/", "/ui", "/ui/{a}",
                                          "/ui/{a}/{b}", "/ui/{a}/{b}/{c}"};
  // How long a verified credential is trusted without running the KDF
  // again. Longer = cheaper; a removed credential (config reload needs a
  // restart anyway) stays valid no longer than this.
  absl::Duration cache_ttl = absl::Seconds(60);
  // Entries remembered at most; when full the cache is cleared.
  std::size_t cache_capacity = 4096;
  // At most one warning per interval about failed attempts.
  absl::Duration log_interval = absl::Seconds(10);
  // Cache expiry and log pacing read it; must outlive the Authenticator.
  const Clock* clock = &SystemClock::Get();
};

class Authenticator {
 public:
  explicit Authenticator(AuthOptions options);

  // True when any user or token is configured.
  bool enabled() const { return !options_.users.empty() || !options_.tokens.empty(); }

  // The authenticated name ("user" or "token:<label>"), or an error
  // message for the 401 when the request carries no or wrong credentials.
  Result<std::string> Authenticate(const Request& request) const;

  // The middleware: lets open routes and OPTIONS through, answers 401
  // otherwise unless Authenticate() succeeds. `this` must outlive it.
  Middleware AsMiddleware() const;

  // Failed attempts so far (tests, diagnostics).
  std::uint64_t failures() const;

 private:
  Result<std::string> Check(const Presented& p) const;
  void NoteFailure(const Request& request, const std::string& why) const;

  const AuthOptions options_;
  SecretHash dummy_;  // verified against for an unknown user, so timing does not tell

  // This class behaves like a monitor: mu_ guards everything below.
  mutable std::mutex mu_;
  // SHA-256(scheme, name, secret) -> (authenticated name, expiry).
  mutable std::unordered_map<std::string, std::pair<std::string, absl::Time>> cache_;
  mutable std::uint64_t failures_ = 0;
  mutable std::uint64_t unlogged_failures_ = 0;
  mutable absl::Time last_log_ = absl::InfinitePast();
};

}  // namespace ckron::api

#endif  // CKRON_API_AUTH_H_
