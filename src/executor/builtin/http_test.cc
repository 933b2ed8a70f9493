#include "executor/builtin/http.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stop_token>
#include <string>
#include <thread>

#include "executor/testing/http_server.h"
#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;
using testing::TlsSetup;

ExecuteResponse RunHttp(HttpExecutor& http, ExecutorConfig config, const OutputSink& sink = {},
                        std::stop_token stop = {}) {
  return http.Execute({JobName("web-job"), ExecutionId("exec-1"), std::move(config)}, sink, stop);
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Answers /echo with what it received, /status/N with status N, /big with
// 300,000 bytes, /slow only once released; anything else with "ok".
TestResponse Route(TestHttpServer* server, const TestRequest& req) {
  if (req.target == "/echo") {
    std::string out = req.method + " " + req.body;
    for (const auto& [name, value] : req.headers) {
      if (name.rfind("x-", 0) == 0 || name == "content-type") {
        out += "\n" + name + "=" + value;
      }
    }
    return {200, out, {}};
  }
  if (req.target.rfind("/status/", 0) == 0) return {std::stoi(req.target.substr(8)), "s", {}};
  if (req.target == "/big") {
    std::string body;
    for (int i = 0; body.size() < 300000; ++i) body += std::to_string(i) + "\n";
    return {200, body, {}};
  }
  if (req.target == "/slow") {
    server->BlockUntilReleased();
    return {200, "late", {}};
  }
  if (req.target == "/whoami") return {200, "client=" + req.client_subject, {}};
  return {200, "ok", {}};
}

class HttpExecutorTest : public ::testing::Test {
 protected:
  HttpExecutorTest() : server_([this](const TestRequest& r) { return Route(&server_, r); }) {}
  TestHttpServer server_;
  HttpExecutor http_;
};

TEST_F(HttpExecutorTest, SendsMethodBodyAndHeaders) {
  ExecuteResponse r = RunHttp(http_, {{"method", "POST"},
                                      {"url", server_.Url("/echo")},
                                      {"body", "{\"a\":1}"},
                                      {"headers", R"(["Content-Type: application/json",
                                                  "X-Token: Bearer a:b:c", "X-Empty:"])"}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output,
            "POST {\"a\":1}\ncontent-type=application/json\nx-empty=\nx-token=Bearer a:b:c");
  const TestRequest seen = server_.requests().back();
  EXPECT_EQ(seen.headers.at("user-agent"), "ckron");
  EXPECT_EQ(seen.headers.count("expect"), 0u);
  EXPECT_EQ(seen.headers.count("accept"), 0u);
  EXPECT_EQ(seen.headers.at("content-length"), "7");
}

TEST_F(HttpExecutorTest, OtherMethodsAndBodies) {
  EXPECT_EQ(RunHttp(http_, {{"method", "PUT"}, {"url", server_.Url("/echo")}}).output, "PUT ");
  EXPECT_EQ(server_.requests().back().headers.at("content-length"), "0");
  EXPECT_EQ(
      RunHttp(http_, {{"method", "DELETE"}, {"url", server_.Url("/echo")}, {"body", "x"}}).output,
      "DELETE x");
  EXPECT_EQ(RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/echo")}}).output, "GET ");
  EXPECT_EQ(server_.requests().back().headers.count("content-type"), 0u);
  ExecuteResponse head = RunHttp(http_, {{"method", "HEAD"}, {"url", server_.Url("/")}});
  EXPECT_EQ(head.error, "");
  EXPECT_EQ(head.output, "");
  EXPECT_EQ(server_.requests().back().method, "HEAD");
}

TEST_F(HttpExecutorTest, OutputIsTheBodyStreamedAsItArrives) {
  std::string streamed;
  ExecuteResponse r = RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/")}},
                              [&](std::string_view c) { streamed += c; });
  EXPECT_EQ(r.output, "ok");
  EXPECT_EQ(streamed, "ok");
}

TEST_F(HttpExecutorTest, LargeBodiesKeepTheirLast256000Bytes) {
  std::string expected;
  for (int i = 0; expected.size() < 300000; ++i) expected += std::to_string(i) + "\n";
  ExecuteResponse r = RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/big")}});
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.output.size(), kMaxOutputBytes);
  EXPECT_EQ(r.output, expected.substr(expected.size() - kMaxOutputBytes));
}

TEST_F(HttpExecutorTest, ExpectCodeAcceptsListedCodesOnly) {
  const std::string url = server_.Url("/status/201");
  EXPECT_EQ(RunHttp(http_, {{"method", "GET"}, {"url", url}, {"expectCode", "200,201"}}).error, "");
  ExecuteResponse mismatch =
      RunHttp(http_, {{"method", "GET"}, {"url", url}, {"expectCode", "200"}});
  EXPECT_EQ(mismatch.error, "received response code does not match the expected code");
  EXPECT_EQ(mismatch.output, "s");
  // Without expectCode any status succeeds, as in Dkron.
  EXPECT_EQ(RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/status/500")}}).error, "");
}

TEST_F(HttpExecutorTest, ExpectBodyIsAnUnanchoredRegexp) {
  const ExecutorConfig base = {{"method", "GET"}, {"url", server_.Url("/echo")}};
  ExecutorConfig match = base;
  match["expectBody"] = "^G[A-Z]+ $";  // the body is exactly "GET "
  EXPECT_EQ(RunHttp(http_, match).error, "");
  ExecutorConfig partial = base;
  partial["expectBody"] = "ET";
  EXPECT_EQ(RunHttp(http_, partial).error, "");
  ExecutorConfig miss = base;
  miss["expectBody"] = "POST";
  EXPECT_EQ(RunHttp(http_, miss).error, "received response body did not match the expected body");
  ExecutorConfig bad = base;
  bad["expectBody"] = "(unclosed";
  EXPECT_TRUE(StartsWith(RunHttp(http_, bad).error, "expectBody: invalid regular expression: "));
}

TEST_F(HttpExecutorTest, ExpectBodyRefusesBodiesBeyondTheMatchLimit) {
  HttpExecutor small({.max_match_body_bytes = 1000});
  ExecuteResponse r =
      RunHttp(small, {{"method", "GET"}, {"url", server_.Url("/big")}, {"expectBody", "x"}});
  EXPECT_EQ(r.error, "response body exceeds 1000 bytes, too large to match expectBody");
}

TEST_F(HttpExecutorTest, TimeoutAbortsASlowResponse) {
  ExecuteResponse r =
      RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/slow")}, {"timeout", "1"}});
  ASSERT_TRUE(StartsWith(r.error, "Get \"" + server_.Url("/slow") + "\": ")) << r.error;
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
}

TEST_F(HttpExecutorTest, CancelAbortsTheTransfer) {
  std::stop_source stop;
  ExecuteResponse r;
  std::thread t([&] {
    r = RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/slow")}, {"timeout", "0"}}, {},
                stop.get_token());
  });
  server_.WaitForRequests(1);
  stop.request_stop();
  t.join();
  EXPECT_EQ(r.error, "Get \"" + server_.Url("/slow") + "\": request cancelled");
}

TEST_F(HttpExecutorTest, ConnectionsAreReusedAcrossExecutions) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/")}}).error, "");
  }
  EXPECT_EQ(server_.connections(), 1);
  EXPECT_EQ(http_.idle_slots(), 1u);
}

TEST_F(HttpExecutorTest, ConfigErrorsAndWarningsAreDkrons) {
  EXPECT_EQ(RunHttp(http_, {{"method", "GET"}}).error, "url is empty");
  EXPECT_EQ(RunHttp(http_, {{"url", server_.Url("/")}}).error, "method is empty");
  ExecuteResponse r = RunHttp(
      http_,
      {{"method", "GET"}, {"url", server_.Url("/")}, {"headers", "not json"}, {"timeout", "soon"}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output,
            "Error: parsing headers failed\n"
            "Warning: invalid timeout value: \"soon\" not understood (strconv.Atoi: parsing "
            "\"soon\": invalid syntax), using default value of 30.\nok");
}

TEST_F(HttpExecutorTest, DebugPutsTheConfigFirst) {
  ExecuteResponse r =
      RunHttp(http_, {{"method", "GET"}, {"url", server_.Url("/")}, {"debug", "true"}});
  EXPECT_EQ(r.output,
            "Config: map[string]string{\"debug\":\"true\", \"method\":\"GET\", \"url\":\"" +
                server_.Url("/") + "\"}\nok");
}

TEST_F(HttpExecutorTest, OnlyHttpAndHttpsUrlsAreFetched) {
  ExecuteResponse r = RunHttp(http_, {{"method", "GET"}, {"url", "file:///etc/passwd"}});
  EXPECT_TRUE(StartsWith(r.error, "Get \"file:///etc/passwd\": ")) << r.error;
  EXPECT_EQ(r.output, "");
}

TEST(HttpExecutor, UnreachableServerFailsWithTheUrl) {
  HttpExecutor http;
  ExecuteResponse r = RunHttp(http, {{"method", "GET"}, {"url", "http://127.0.0.1:1/"}});
  EXPECT_TRUE(StartsWith(r.error, "Get \"http://127.0.0.1:1/\": ")) << r.error;
}

// ---- TLS ----

// A CA, a server certificate for 127.0.0.1 and a client certificate, made
// with the openssl command once for these tests.
class HttpTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "ckron_http_tls_" + std::to_string(getpid()));
    std::filesystem::remove_all(*dir_);
    std::filesystem::create_directories(*dir_);
    std::ofstream(*dir_ + "/server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    std::ofstream(*dir_ + "/client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    const std::string script =
        "cd " + *dir_ + " && openssl req -x509" + ec +
        " -keyout ca.key -out ca.pem -days 2 -subj /CN=ckron-test-ca && " + "openssl req" + ec +
        " -keyout server.key -out server.csr -subj /CN=localhost && " +
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -out server.pem -days 2 -extfile server.ext && " +
        "openssl req" + ec + " -keyout client.key -out client.csr -subj /CN=ckron-client && " +
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
        " -out client.pem -days 2 -extfile client.ext && " +
        "echo 'not a certificate' > junk.pem";
    ASSERT_EQ(std::system(("(" + script + ") >/dev/null 2>&1").c_str()), 0)
        << "openssl failed in " << *dir_;
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string File(const std::string& name) { return *dir_ + "/" + name; }
  static TlsSetup ServerTls(bool require_client) {
    return {File("server.pem"), File("server.key"), require_client ? File("ca.pem") : ""};
  }

  static std::string* dir_;
  HttpExecutor http_;
};
std::string* HttpTlsTest::dir_ = nullptr;

TestResponse Whoami(const TestRequest& req) {
  return {200, "client=" + req.client_subject, {}};
}

TEST_F(HttpTlsTest, RootCasFileVerifiesTheServer) {
  TestHttpServer server(Whoami, ServerTls(false));
  ExecuteResponse r = RunHttp(
      http_, {{"method", "GET"}, {"url", server.Url("/")}, {"tlsRootCAsFile", File("ca.pem")}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "client=");
}

TEST_F(HttpTlsTest, UnknownCaFailsVerification) {
  TestHttpServer server(Whoami, ServerTls(false));
  ExecuteResponse r = RunHttp(http_, {{"method", "GET"}, {"url", server.Url("/")}});
  EXPECT_TRUE(StartsWith(r.error, "Get \"" + server.Url("/") + "\": ")) << r.error;
}

TEST_F(HttpTlsTest, NoVerifyPeerSkipsVerification) {
  TestHttpServer server(Whoami, ServerTls(false));
  ExecuteResponse r =
      RunHttp(http_, {{"method", "GET"}, {"url", server.Url("/")}, {"tlsNoVerifyPeer", "true"}});
  EXPECT_EQ(r.error, "");
}

TEST_F(HttpTlsTest, ClientCertificateIsPresented) {
  TestHttpServer server(Whoami, ServerTls(true));
  ExecuteResponse r = RunHttp(http_, {{"method", "GET"},
                                      {"url", server.Url("/")},
                                      {"tlsRootCAsFile", File("ca.pem")},
                                      {"tlsCertificateFile", File("client.pem")},
                                      {"tlsCertificateKeyFile", File("client.key")}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "client=/CN=ckron-client");
  ExecuteResponse without = RunHttp(
      http_, {{"method", "GET"}, {"url", server.Url("/")}, {"tlsRootCAsFile", File("ca.pem")}});
  EXPECT_NE(without.error, "");
}

TEST_F(HttpTlsTest, UnusableFilesAreWarningsAsInDkron) {
  TestHttpServer server(Whoami, ServerTls(false));
  ExecuteResponse r = RunHttp(http_, {{"method", "GET"},
                                      {"url", server.Url("/")},
                                      {"tlsRootCAsFile", File("ca.pem")},
                                      {"tlsCertificateFile", File("client.pem")},
                                      {"tlsCertificateKeyFile", File("server.key")}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output,
            "Warning: not using client certificate: tls: private key does not match public "
            "key.\nclient=");
  ExecuteResponse junk = RunHttp(
      http_, {{"method", "GET"}, {"url", server.Url("/")}, {"tlsRootCAsFile", File("junk.pem")}});
  EXPECT_TRUE(StartsWith(junk.output,
                         "Warning: using system root CAs instead of configured CAs: no "
                         "certificates in file.\n"))
      << junk.output;
  EXPECT_NE(junk.error, "");  // the system CAs do not know this server
}

}  // namespace
}  // namespace ckron::executor
