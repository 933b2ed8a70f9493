// The auth middleware over a FakeBackend, without sockets: which requests
// pass, which get 401, and what a 401 says.
#include "api/auth.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "api/api.h"
#include "api/testing/fake_backend.h"
#include "api/testing/settle.h"

namespace ckron::api {
namespace {

std::string Basic(const std::string& user_colon_password) {
  return "Basic " + absl::Base64Escape(user_colon_password);
}

Credential Cred(const std::string& name, const std::string& secret) {
  auto h = SecretHash::Make(secret, SecretHash::kMinIterations);
  EXPECT_TRUE(h.ok());
  return {name, *h};
}

class AuthTest : public ::testing::Test {
 protected:
  AuthTest()
      : auth_(AuthOptions{.users = {Cred("alice", "wonder land")},
                          .tokens = {Cred("ci", "tok-123")},
                          .clock = &clock_}),
        api_(ApiOptions{.middleware = {auth_.AsMiddleware()}}, &backend_) {}

  Response Call(const std::string& method, const std::string& target,
                std::map<std::string, std::string> headers = {}) {
    Request req;
    req.method = method;
    req.target = target;
    req.headers = std::move(headers);
    EXPECT_TRUE(ParseTarget(target, &req.path, &req.query));
    return ::ckron::api::testing::Settle(api_.Handle(req));
  }
  static std::string Header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  void ExpectDenied(const Response& r, const std::string& why) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(Header(r, "WWW-Authenticate"), "Basic realm=\"ckron\"");
    EXPECT_NE(r.body.find(why), std::string::npos) << r.body;
  }

  ManualClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  testing::FakeBackend backend_;
  Authenticator auth_;
  Api api_;
};

TEST_F(AuthTest, NoCredentialsIs401WithChallenge) {
  ExpectDenied(Call("GET", "/v1/jobs"), "credentials required");
  ExpectDenied(Call("POST", "/v1/jobs"), "credentials required");
  // Unknown routes too: no probing of what exists without credentials.
  ExpectDenied(Call("GET", "/v1/nope"), "credentials required");
  EXPECT_EQ(auth_.failures(), 0u);  // nothing was presented
}

TEST_F(AuthTest, HealthReadyAndPreflightAreOpen) {
  EXPECT_EQ(Call("GET", "/health").status, 200);
  EXPECT_NE(Call("GET", "/ready").status, 401);
  const Response pre =
      Call("OPTIONS", "/v1/jobs",
           {{"origin", "http://ui.example"}, {"access-control-request-headers", "authorization"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(Header(pre, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(Header(pre, "Access-Control-Allow-Headers"), "authorization");
}

TEST_F(AuthTest, TheUisStaticFilesAreOpen_ItsApiCallsAreNot) {
  const Response root = Call("GET", "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(Header(root, "Location"), "/ui/");
  EXPECT_NE(Call("GET", "/ui/").status, 401);
  EXPECT_NE(Call("GET", "/ui/assets/app.js").status, 401);
  EXPECT_NE(Call("GET", "/ui/jobs/a/edit").status, 401);
  // The UI's own calls: 401 without the Basic challenge, so the browser
  // leaves the sign-in to the UI's form.
  const Response ui_call = Call("GET", "/v1/jobs", {{"x-requested-with", "ckron-ui"}});
  EXPECT_EQ(ui_call.status, 401);
  EXPECT_EQ(Header(ui_call, "WWW-Authenticate"), "");
  // Nor for the UI's event streams (EventSource cannot add a header).
  const Response stream = Call("GET", "/v1/jobs", {{"accept", "text/event-stream"}});
  EXPECT_EQ(stream.status, 401);
  EXPECT_EQ(Header(stream, "WWW-Authenticate"), "");
  EXPECT_NE(Header(Call("GET", "/v1/jobs", {{"accept", "application/json"}}), "WWW-Authenticate"),
            "");
}

TEST_F(AuthTest, BasicAuth) {
  EXPECT_EQ(Call("GET", "/v1/jobs", {{"authorization", Basic("alice:wonder land")}}).status, 200);
  // The scheme name is case-insensitive (RFC 7235 §2.1).
  EXPECT_EQ(Call("GET", "/v1/jobs",
                 {{"authorization", "basic " + absl::Base64Escape("alice:wonder land")}})
                .status,
            200);
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", Basic("alice:wonder")}}),
               "invalid user name or password");
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", Basic("mallory:wonder land")}}),
               "invalid user name or password");
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", "Basic !!notbase64!!"}}), "not base64");
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", Basic("alice")}}), "':'");
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", "Digest abc"}}), "Basic or Bearer");
  EXPECT_EQ(auth_.failures(), 5u);
}

TEST_F(AuthTest, BearerTokenInHeaderOrQuery) {
  EXPECT_EQ(Call("GET", "/v1/jobs", {{"authorization", "Bearer tok-123"}}).status, 200);
  EXPECT_NE(Call("POST", "/v1/pause", {{"authorization", "Bearer tok-123"}}).status, 401);
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", "Bearer tok-124"}}), "invalid API token");
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", "Bearer "}}), "Bearer");
  // A query token works on GET (EventSource), never on writes.
  EXPECT_EQ(Call("GET", "/v1/jobs?access_token=tok-123").status, 200);
  ExpectDenied(Call("GET", "/v1/jobs?access_token=nope"), "invalid API token");
  ExpectDenied(Call("POST", "/v1/pause?access_token=tok-123"), "credentials required");
  // A token is not a password and a password is not a token.
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", "Bearer wonder land"}}),
               "invalid API token");
  ExpectDenied(Call("GET", "/v1/jobs", {{"authorization", Basic("ci:tok-123")}}),
               "invalid user name or password");
}

TEST_F(AuthTest, VerifiedCredentialsAreCachedUntilTheTtl) {
  const Request ok = [] {
    Request r;
    r.method = "GET";
    r.path = "/v1/jobs";
    r.headers = {{"authorization", "Bearer tok-123"}};
    return r;
  }();
  ASSERT_TRUE(auth_.Authenticate(ok).ok());
  EXPECT_EQ(*auth_.Authenticate(ok), "token:ci");
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(*auth_.Authenticate(ok), "token:ci");  // re-verified, still valid
  // A cached success never lets a different secret in.
  Request bad = ok;
  bad.headers["authorization"] = "Bearer tok-1234";
  EXPECT_FALSE(auth_.Authenticate(bad).ok());
}

TEST(AuthOnlyTokens, BasicIsRefusedWithAMessage) {
  Authenticator a(AuthOptions{.tokens = {Cred("ci", "t")}});
  EXPECT_TRUE(a.enabled());
  Request r;
  r.method = "GET";
  r.headers = {{"authorization", Basic("alice:x")}};
  EXPECT_NE(a.Authenticate(r).status().message().find("basic auth is not configured"),
            std::string::npos);
  EXPECT_FALSE(Authenticator(AuthOptions{}).enabled());
}

TEST(ParseAuthorization, Shapes) {
  auto b = ParseAuthorization(Basic("u:p:q"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->scheme, Presented::Scheme::kBasic);
  EXPECT_EQ(b->name, "u");
  EXPECT_EQ(b->secret, "p:q");  // the password may contain ':'
  auto t = ParseAuthorization("BEARER   abc.def");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->scheme, Presented::Scheme::kBearer);
  EXPECT_EQ(t->secret, "abc.def");
  for (const char* bad : {"", "Basic", "Basic ", "Bearer", "Basicx abc", "Basic a$b", "Token x"}) {
    EXPECT_FALSE(ParseAuthorization(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace ckron::api
