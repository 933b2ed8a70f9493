#include "executor/builtin/http_config.h"

#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

using Strings = std::vector<std::string>;
using Headers = std::vector<HttpHeader>;

TEST(HttpConfig, HeaderJsonIsAnArrayOfStrings) {
  EXPECT_EQ(*ParseHeaderJson(""), Strings{});
  EXPECT_EQ(*ParseHeaderJson("null"), Strings{});
  EXPECT_EQ(*ParseHeaderJson("[\"A: 1\", \"B: 2\"]"), (Strings{"A: 1", "B: 2"}));
  for (const char* bad : {"{}", "[1]", "[\"a\"", "\"A: 1\"", "[null]"}) {
    EXPECT_EQ(ParseHeaderJson(bad).status().message(), "parsing headers failed") << bad;
  }
}

TEST(HttpConfig, HeaderValueKeepsEverythingAfterTheFirstColon) {
  Result<HeaderList> h = BuildHeaders({"Authorization: Basic a:b", " X-Url :  http://h:1/p "});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->headers, (Headers{{"Authorization", "Basic a:b"}, {"X-Url", "http://h:1/p"}}));
}

TEST(HttpConfig, LaterHeaderReplacesEarlierOneWithTheSameName) {
  Result<HeaderList> h = BuildHeaders({"X-A: 1", "X-B: 2", "x-a: 3"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->headers, (Headers{{"x-a", "3"}, {"X-B", "2"}}));
}

TEST(HttpConfig, EntriesWithoutAColonAreSkippedWithAWarning) {
  Result<HeaderList> h = BuildHeaders({"", "no colon", "X: 1"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->headers, (Headers{{"X", "1"}}));
  EXPECT_EQ(h->warnings, (Strings{"header \"no colon\" has no ':', ignored"}));
}

TEST(HttpConfig, HeaderInjectionIsRefused) {
  EXPECT_EQ(BuildHeaders({"X: a\r\nEvil: 1"}).status().message(),
            "net/http: invalid header field value for \"X\"");
  EXPECT_EQ(BuildHeaders({"Bad Name: 1"}).status().message(),
            "net/http: invalid header field name \"Bad Name\"");
  EXPECT_FALSE(BuildHeaders({": 1"}).ok());
}

TEST(HttpConfig, ExpectCodeComparesWholeItems) {
  EXPECT_TRUE(ExpectCodeMatches("", 500));
  EXPECT_TRUE(ExpectCodeMatches("200", 200));
  EXPECT_TRUE(ExpectCodeMatches("200,201", 201));
  EXPECT_TRUE(ExpectCodeMatches("200, 201", 201));
  EXPECT_FALSE(ExpectCodeMatches("200,201", 204));
  EXPECT_FALSE(ExpectCodeMatches("1200", 200));  // Dkron's substring test accepts this
}

TEST(HttpConfig, RequiredKeysInDkronsOrder) {
  EXPECT_EQ(ValidateHttpConfig({}).message(), "url is empty");
  EXPECT_EQ(ValidateHttpConfig({{"url", "http://x"}}).message(), "method is empty");
  EXPECT_TRUE(ValidateHttpConfig({{"url", "http://x"}, {"method", "GET"}}).ok());
  EXPECT_EQ(ParseHttpConfig({{"url", "http://x"}, {"method", "G T"}}, 30).status().message(),
            "net/http: invalid method \"G T\"");
}

TEST(HttpConfig, TimeoutDefaultsAndWarnsLikeDkron) {
  const ExecutorConfig base = {{"url", "http://x"}, {"method", "GET"}};
  EXPECT_EQ(ParseHttpConfig(base, 30)->timeout, absl::Seconds(30));
  ExecutorConfig c = base;
  c["timeout"] = "5";
  EXPECT_EQ(ParseHttpConfig(c, 30)->timeout, absl::Seconds(5));
  c["timeout"] = "0";
  EXPECT_EQ(ParseHttpConfig(c, 30)->timeout, absl::ZeroDuration());
  c["timeout"] = "5s";
  Result<HttpConfig> parsed = ParseHttpConfig(c, 30);
  EXPECT_EQ(parsed->timeout, absl::Seconds(30));
  EXPECT_EQ(parsed->notes,
            "Warning: invalid timeout value: \"5s\" not understood (strconv.Atoi: parsing "
            "\"5s\": invalid syntax), using default value of 30.\n");
}

TEST(HttpConfig, NotesFollowDkronsWording) {
  Result<HttpConfig> c = ParseHttpConfig(
      {{"url", "http://x"}, {"method", "GET"}, {"headers", "{"}, {"tlsNoVerifyPeer", "maybe"}}, 30);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->notes,
            "Error: parsing headers failed\n"
            "Warning: not disabling certificate validation: strconv.ParseBool: parsing "
            "\"maybe\": invalid syntax.\n");
  EXPECT_FALSE(c->tls_no_verify_peer);
}

TEST(HttpConfig, ReadsEveryKey) {
  Result<HttpConfig> c = ParseHttpConfig({{"url", "https://x/y"},
                                          {"method", "POST"},
                                          {"body", "{}"},
                                          {"headers", "[\"A: 1\"]"},
                                          {"expectCode", "200"},
                                          {"expectBody", "ok"},
                                          {"debug", "true"},
                                          {"tlsNoVerifyPeer", "true"},
                                          {"tlsCertificateFile", "c.pem"},
                                          {"tlsCertificateKeyFile", "k.pem"},
                                          {"tlsRootCAsFile", "ca.pem"}},
                                         30);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->url, "https://x/y");
  EXPECT_EQ(c->method, "POST");
  EXPECT_EQ(c->body, "{}");
  EXPECT_EQ(c->headers, (Headers{{"A", "1"}}));
  EXPECT_EQ(c->expect_code, "200");
  EXPECT_EQ(c->expect_body, "ok");
  EXPECT_TRUE(c->debug);
  EXPECT_TRUE(c->tls_no_verify_peer);
  EXPECT_EQ(c->tls_certificate_file, "c.pem");
  EXPECT_EQ(c->tls_certificate_key_file, "k.pem");
  EXPECT_EQ(c->tls_root_cas_file, "ca.pem");
  EXPECT_EQ(c->notes, "");
}

TEST(HttpConfig, DebugLineIsGosMapLiteral) {
  EXPECT_EQ(GoMapLiteral({{"url", "http://x"}, {"method", "GET"}, {"body", "a\"b"}}),
            "map[string]string{\"body\":\"a\\\"b\", \"method\":\"GET\", \"url\":\"http://x\"}");
}

}  // namespace
}  // namespace ckron::executor
