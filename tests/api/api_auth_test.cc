// Authentication against real `ckron agent --server` processes: the hashes
// come from the real `ckron hash-secret`; with no credentials configured the
// API is open, with them every route but /health and /ready needs basic
// auth or a bearer token (header, or ?access_token= on GET), CORS
// preflights still work, and a bad credential in the configuration stops
// the agent with exit status 2 naming the key.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "api_harness.h"
#include "shared_cluster_test.h"

namespace ckron::testing {
namespace {

struct ShellRun {
  int status = -1;  // exit status
  std::string out;  // stdout and stderr
};

ShellRun Shell(const std::string& command) {
  ShellRun r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int w = pclose(p);
  r.status = WIFEXITED(w) ? WEXITSTATUS(w) : -1;
  return r;
}

std::map<std::string, std::string> BasicAuth(const std::string& user, const std::string& pw) {
  return {{"authorization", "Basic " + absl::Base64Escape(user + ":" + pw)}};
}

TEST(HashSecretCommand, PrintsAHashAndRejectsBadInput) {
  const std::string h = HashSecret("s3cret");
  EXPECT_EQ(h.rfind("pbkdf2-sha256$1000$", 0), 0u) << h;
  EXPECT_NE(HashSecret("s3cret"), h);  // fresh salt each time
  ShellRun bad = Shell(std::string("echo x | ") + CKRON_BIN + " hash-secret --iterations 10");
  EXPECT_EQ(bad.status, 2) << bad.out;
  EXPECT_NE(bad.out.find("--iterations"), std::string::npos) << bad.out;
  ShellRun empty = Shell(std::string(CKRON_BIN) + " hash-secret < /dev/null");
  EXPECT_EQ(empty.status, 2) << empty.out;
  EXPECT_NE(empty.out.find("stdin"), std::string::npos) << empty.out;
}

TEST(AgentConfig, BadCredentialExitsTwoNamingTheKey) {
  ShellRun r = Shell(std::string(CKRON_BIN) + " agent --server --auth-users alice:plaintext");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--auth-users"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("plaintext"), std::string::npos) << "the secret is echoed: " << r.out;
}

TEST(AuthOff, ApiIsOpen) {
  ApiCluster open(1);
  ASSERT_TRUE(open.Start().ok()) << open.Describe();
  EXPECT_EQ(Http(open.http(0), "GET", "/v1/jobs").status, 200);
  EXPECT_EQ(Http(open.http(0), "POST", "/v1/pause").status, 200);
}

class AuthOnTest : public SharedApiClusterTest<AuthOnTest> {
 public:
  static std::unique_ptr<ApiCluster> MakeCluster() {
    return std::make_unique<ApiCluster>(
        1, std::vector<std::string>{"--auth-users", "alice:" + HashSecret("wonder-land"),
                                    "--auth-tokens", "ci:" + HashSecret("tok-123")});
  }

 protected:
  static const std::string& addr() { return cluster_->http(0); }
};

TEST_F(AuthOnTest, WithoutCredentials401WithChallenge) {
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/jobs"},
                                                        {"POST", "/v1/pause"},
                                                        {"GET", "/v1/members"},
                                                        {"GET", "/metrics"},
                                                        {"GET", "/v1/no-such-route"}}) {
    const HttpReply r = Http(addr(), method, target);
    EXPECT_EQ(r.status, 401) << method << " " << target << ": " << r.body;
    EXPECT_EQ(r.Header("www-authenticate"), "Basic realm=\"ckron\"") << target;
    EXPECT_NE(r.body.find("unauthorized"), std::string::npos) << r.body;
  }
}

TEST_F(AuthOnTest, HealthReadyAndPreflightStayOpen) {
  EXPECT_EQ(Http(addr(), "GET", "/health").status, 200);
  EXPECT_EQ(Http(addr(), "GET", "/ready").status, 200);
  const HttpReply pre = Http(addr(), "OPTIONS", "/v1/jobs", "",
                             {{"origin", "http://ui.example"},
                              {"access-control-request-method", "POST"},
                              {"access-control-request-headers", "authorization"}});
  EXPECT_EQ(pre.status, 204);
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "*");
}

TEST_F(AuthOnTest, BasicAuth) {
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs", "", BasicAuth("alice", "wonder-land")).status, 200);
  const std::string job =
      R"({"name":"authjob","schedule":"@manually","executor":"shell","executor_config":{"command":"true"}})";
  EXPECT_EQ(Http(addr(), "POST", "/v1/jobs", job, BasicAuth("alice", "wonder-land")).status, 201);
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs/authjob", "", BasicAuth("alice", "wonder-land")).status,
            200);
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs", "", BasicAuth("alice", "wonder")).status, 401);
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs", "", BasicAuth("bob", "wonder-land")).status, 401);
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs", "", {{"authorization", "Basic %%%"}}).status, 401);
}

TEST_F(AuthOnTest, BearerTokenInHeaderAndQuery) {
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs", "", {{"authorization", "Bearer tok-123"}}).status, 200);
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs?access_token=tok-123").status, 200);
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs?access_token=tok-124").status, 401);
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs", "", {{"authorization", "Bearer tok-124"}}).status, 401);
  // Writes take the token from the header only.
  EXPECT_EQ(Http(addr(), "POST", "/v1/pause?access_token=tok-123").status, 401);
  EXPECT_EQ(Http(addr(), "POST", "/v1/unpause", "", {{"authorization", "Bearer tok-123"}}).status,
            200);
}

TEST_F(AuthOnTest, FailedAttemptsAreLogged) {
  EXPECT_EQ(Http(addr(), "GET", "/v1/jobs", "", BasicAuth("mallory", "guess")).status, 401);
  EXPECT_TRUE(Eventually(
      [] { return cluster_->Log(0).find("authentication failed") != std::string::npos; }, 10s))
      << cluster_->Log(0);
  EXPECT_EQ(cluster_->Log(0).find("guess"), std::string::npos) << "a password reached the log";
}

}  // namespace
}  // namespace ckron::testing
