// HTTPS for the REST API against real `ckron agent --server` processes:
// certificates made at test time with the openssl CLI (a CA, a server
// certificate for 127.0.0.1, client certificates from that CA and from
// another), one server with https-cert-file/https-key-file and one that
// also requires client certificates (https-client-ca-file); libcurl
// verifies the server against the CA. Waits poll with deadlines.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "api_harness.h"
#include "curl_client.h"
#include "nlohmann/json.hpp"
#include "raft/testing/process.h"
#include "raft/testing/test_env.h"

namespace ckron::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Runs a shell command; false (and the command is printed) on failure.
bool Sh(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  if (rc != 0) ADD_FAILURE() << "failed: " << cmd;
  return rc == 0;
}

// A CA ("<name>-ca.pem/.key") in `dir`.
bool MakeCa(const fs::path& dir, const std::string& name) {
  const std::string p = (dir / name).string();
  return Sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
            p + "-ca.key -out " + p + "-ca.pem -days 2 -subj /CN=" + name + "-ca");
}

// A certificate "<name>.pem/.key" signed by CA `ca`, for `usage`
// (serverAuth with an IP SAN of 127.0.0.1, or clientAuth).
bool MakeCert(const fs::path& dir, const std::string& ca, const std::string& name,
              const std::string& usage) {
  const std::string p = (dir / name).string(), c = (dir / ca).string();
  std::ofstream(p + ".ext") << "basicConstraints=CA:FALSE\nextendedKeyUsage=" << usage << "\n"
                            << (usage == "serverAuth" ? "subjectAltName=IP:127.0.0.1\n" : "");
  return Sh("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + p +
            ".key -out " + p + ".csr -subj /CN=" + name) &&
         Sh("openssl x509 -req -in " + p + ".csr -CA " + c + "-ca.pem -CAkey " + c +
            "-ca.key -CAcreateserial -out " + p + ".pem -days 2 -extfile " + p + ".ext");
}

class ApiTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new raft::testing::TempDir("ckron-tls");
    const fs::path d = dir_->path();
    if (!MakeCa(d, "test") || !MakeCa(d, "other") || !MakeCert(d, "test", "server", "serverAuth") ||
        !MakeCert(d, "test", "client", "clientAuth") ||
        !MakeCert(d, "other", "stranger", "clientAuth")) {
      failed_start_ = "cannot make the test certificates with openssl";
      return;
    }
    const std::vector<std::string> tls = {"--https-cert-file", F("server.pem"), "--https-key-file",
                                          F("server.key")};
    std::vector<std::string> mtls = tls;
    mtls.insert(mtls.end(), {"--https-client-ca-file", F("test-ca.pem")});
    tls_ = new ApiCluster(1, tls, [](const std::string& a) {
      return CurlRequest("GET", "https://" + a + "/ready", Trusting()).status == 200;
    });
    mtls_ = new ApiCluster(1, mtls, [](const std::string& a) {
      return CurlRequest("GET", "https://" + a + "/ready", Client("client")).status == 200;
    });
    if (Status s = tls_->Start(); !s.ok()) failed_start_ = s.ToString();
    if (Status s = mtls_->Start(); !s.ok()) failed_start_ += s.ToString();
  }
  static void TearDownTestSuite() {
    delete tls_;
    delete mtls_;
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(failed_start_.empty()) << failed_start_; }

  static std::string F(const std::string& name) { return (dir_->path() / name).string(); }
  // Verifies the server against the test CA; no client certificate.
  static CurlTls Trusting() { return {.ca_file = F("test-ca.pem")}; }
  // The same, presenting client certificate `name`.
  static CurlTls Client(const std::string& name) {
    return {
        .ca_file = F("test-ca.pem"), .cert_file = F(name + ".pem"), .key_file = F(name + ".key")};
  }
  static std::string Https(const ApiCluster* c, const std::string& target) {
    return "https://" + c->http(0) + target;
  }

  static raft::testing::TempDir* dir_;
  static ApiCluster* tls_;
  static ApiCluster* mtls_;
  static std::string failed_start_;
};

raft::testing::TempDir* ApiTlsTest::dir_ = nullptr;
ApiCluster* ApiTlsTest::tls_ = nullptr;
ApiCluster* ApiTlsTest::mtls_ = nullptr;
std::string ApiTlsTest::failed_start_;

TEST_F(ApiTlsTest, HttpsServesTheApiWithACertificateTheCaSigned) {
  const CurlReply r = CurlRequest("GET", Https(tls_, "/v1"), Trusting());
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["agent"]["name"], "s0");
}

TEST_F(ApiTlsTest, ClientNotTrustingTheCaRefusesTheServer) {
  // Verified against the system's CAs only: our test CA is not one of them.
  const CurlReply r = CurlRequest("GET", Https(tls_, "/health"));
  EXPECT_NE(r.curl_code, 0);
  EXPECT_EQ(r.status, 0);
}

TEST_F(ApiTlsTest, PlainHttpIsRefused) {
  EXPECT_EQ(Http(tls_->http(0), "GET", "/health").status, 0);
  const CurlReply r = CurlRequest("GET", "http://" + tls_->http(0) + "/health");
  EXPECT_NE(r.curl_code, 0);
  EXPECT_NE(r.status, 200);
}

TEST_F(ApiTlsTest, LimitsStillApplyUnderTls) {
  const CurlReply header = CurlRequest("GET", Https(tls_, "/v1/jobs"), Trusting(), "",
                                       {"X-Big: " + std::string(20000, 'a')});
  EXPECT_EQ(header.status, 431) << header.error;
  const CurlReply body =
      CurlRequest("POST", Https(tls_, "/v1/jobs"), Trusting(), std::string(2 << 20, ' '));
  EXPECT_EQ(body.status, 413) << body.error;
  EXPECT_EQ(CurlRequest("GET", Https(tls_, "/health"), Trusting()).status, 200);
}

TEST_F(ApiTlsTest, EventStreamWorksOverHttps) {
  SseClient s(Https(tls_, "/v1/events?job=secure"), Trusting());
  ASSERT_TRUE(s.WaitFor([&](const auto&) { return s.bytes() > 0; })) << s.code();
  const json job = {{"name", "secure"},
                    {"schedule", "@manually"},
                    {"executor", "shell"},
                    {"executor_config", {{"command", "true"}}}};
  ASSERT_EQ(CurlRequest("POST", Https(tls_, "/v1/jobs"), Trusting(), job.dump()).status, 201);
  const int i = s.WaitForEvent("job");
  ASSERT_GE(i, 0);
  EXPECT_EQ(json::parse(s.events()[i].data)["name"], "secure");
}

TEST_F(ApiTlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  const CurlReply r = CurlRequest("GET", Https(mtls_, "/health"), Trusting());
  EXPECT_NE(r.curl_code, 0);
  EXPECT_EQ(r.status, 0);
}

TEST_F(ApiTlsTest, MutualTlsRefusesACertificateFromAnotherCa) {
  const CurlReply r = CurlRequest("GET", Https(mtls_, "/health"), Client("stranger"));
  EXPECT_NE(r.curl_code, 0);
  EXPECT_EQ(r.status, 0);
}

TEST_F(ApiTlsTest, MutualTlsAcceptsAClientCertificateTheCaSigned) {
  const CurlReply r = CurlRequest("GET", Https(mtls_, "/v1"), Client("client"));
  ASSERT_EQ(r.curl_code, 0) << r.error;
  EXPECT_EQ(r.status, 200);
}

// Starts a server with `args` and expects it to exit non-zero at startup
// with each of `expected` in its log (which escapes quotes).
void ExpectStartupError(const fs::path& dir, const std::vector<std::string>& args,
                        const std::vector<std::string>& expected) {
  const std::string name = "bad";
  std::vector<std::string> argv = {CKRON_BIN,
                                   "agent",
                                   "--server",
                                   "--node-name",
                                   name,
                                   "--bind-addr",
                                   "127.0.0.1:" + std::to_string(raft::testing::FreeTcpPort()),
                                   "--rpc-port",
                                   std::to_string(raft::testing::FreeTcpPort()),
                                   "--raft-port",
                                   std::to_string(raft::testing::FreeTcpPort()),
                                   "--http-addr",
                                   "127.0.0.1:" + std::to_string(raft::testing::FreeTcpPort()),
                                   "--data-dir",
                                   (dir / "bad.data").string(),
                                   "--profile",
                                   "local",
                                   "--bootstrap-expect",
                                   "1"};
  argv.insert(argv.end(), args.begin(), args.end());
  const fs::path log = dir / "bad.log";
  fs::remove(log);
  auto p = raft::testing::Process::Spawn(argv, log);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->WaitExit(std::chrono::seconds(60))) << raft::testing::TailFile(log);
  EXPECT_TRUE(WIFEXITED(p->wait_status()) && WEXITSTATUS(p->wait_status()) != 0)
      << raft::testing::TailFile(log);
  const std::string text = raft::testing::TailFile(log);
  for (const std::string& e : expected)
    EXPECT_NE(text.find(e), std::string::npos) << e << "\n" << text;
}

TEST_F(ApiTlsTest, MissingCertificateFileFailsStartupNamingTheKey) {
  ExpectStartupError(dir_->path(),
                     {"--https-cert-file", F("nope.pem"), "--https-key-file", F("server.key")},
                     {"cannot start: https-cert-file", F("nope.pem"), "cannot read it"});
}

TEST_F(ApiTlsTest, KeyNotMatchingTheCertificateFailsStartupNamingTheKey) {
  ExpectStartupError(dir_->path(),
                     {"--https-cert-file", F("server.pem"), "--https-key-file", F("client.key")},
                     {"cannot start: https-key-file", F("client.key"), "matching https-cert-file"});
}

TEST_F(ApiTlsTest, KeyWithoutCertificateFailsStartup) {
  ExpectStartupError(dir_->path(), {"--https-key-file", F("server.key")},
                     {"https-cert-file and https-key-file must be set together"});
}

}  // namespace
}  // namespace ckron::testing
