// Streaming responses through the real transport (http_server.h) on
// 127.0.0.1: chunked framing, heartbeats, the open-stream limit, the
// client leaving, and Stop() ending open streams. Waits poll with a
// deadline; nothing asserts on timing.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "api/http_server.h"

namespace ckron::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Sends `first` on Start, then `last` with End when `end_at_start`.
class TestProducer final : public StreamProducer {
 public:
  TestProducer(std::string first, bool end_at_start, std::string last = "")
      : first_(std::move(first)), end_(end_at_start), last_(std::move(last)) {}
  void Start(std::shared_ptr<StreamSink> sink) override {
    if (!first_.empty()) sink->Send(first_);
    if (end_) sink->End(last_);
    started = true;
  }
  void Stop() override { stopped = true; }
  std::atomic<bool> started{false}, stopped{false};

 private:
  std::string first_;
  bool end_;
  std::string last_;
};

class HttpStreamTest : public ::testing::Test {
 protected:
  void Serve(HttpServerOptions options) {
    options.address = "127.0.0.1:0";
    auto s = HttpServer::Start(std::move(options), [this](Request&) {
      Response r;
      r.content_type = "text/event-stream";
      r.heartbeat = ": ping\n\n";
      std::lock_guard lock(mu_);
      r.stream = next_;
      return r;
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  void Next(std::shared_ptr<TestProducer> p) {
    std::lock_guard lock(mu_);
    next_ = std::move(p);
  }
  // A connected socket that has sent GET /.
  std::unique_ptr<tcp::socket> Open() {
    auto sock = std::make_unique<tcp::socket>(ioc_);
    const std::string addr = server_->address();
    const auto colon = addr.rfind(':');
    sock->connect({net::ip::make_address(addr.substr(0, colon)),
                   static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1)))});
    net::write(*sock, net::buffer(std::string("GET / HTTP/1.1\r\nHost: t\r\n\r\n")));
    return sock;
  }

  net::io_context ioc_;
  std::mutex mu_;
  std::shared_ptr<TestProducer> next_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpStreamTest, StreamIsChunkedAndEndsWithTheProducer) {
  Serve({});
  auto p = std::make_shared<TestProducer>("data: a\n\n", true, "data: b\n\n");
  Next(p);
  auto sock = Open();
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(*sock, buf, res, ec);  // until the terminating chunk
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_TRUE(res.chunked());
  EXPECT_EQ(res[http::field::content_type], "text/event-stream");
  EXPECT_EQ(res[http::field::cache_control], "no-cache");
  EXPECT_EQ(res.body(), "data: a\n\ndata: b\n\n");
  EXPECT_TRUE(WaitUntil([&] { return p->stopped.load(); }));
}

TEST_F(HttpStreamTest, SilentStreamGetsHeartbeats) {
  Serve({.stream_heartbeat = absl::Milliseconds(20)});
  Next(std::make_shared<TestProducer>("", false));
  auto sock = Open();
  std::string got;
  char chunk[512];
  while (got.find(": ping\n\n") == std::string::npos) {
    beast::error_code ec;
    const std::size_t n = sock->read_some(net::buffer(chunk), ec);
    ASSERT_FALSE(ec) << ec.message() << " after: " << got;
    got.append(chunk, n);
  }
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(HttpStreamTest, StreamsOverTheLimitAre503) {
  Serve({.max_streams = 1});
  auto first = std::make_shared<TestProducer>("data: open\n\n", false);
  Next(first);
  auto a = Open();
  ASSERT_TRUE(WaitUntil([&] { return first->started.load(); }));
  Next(std::make_shared<TestProducer>("", false));
  auto b = Open();
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(*b, buf, res, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_NE(res.body().find("too many open streams"), std::string::npos) << res.body();
}

TEST_F(HttpStreamTest, ClientLeavingStopsTheProducerAndFreesTheSlot) {
  Serve({.max_streams = 1});
  auto p = std::make_shared<TestProducer>("data: x\n\n", false);
  Next(p);
  auto sock = Open();
  ASSERT_TRUE(WaitUntil([&] { return p->started.load(); }));
  sock->close();
  ASSERT_TRUE(WaitUntil([&] { return p->stopped.load(); }));
  // The slot is free again.
  auto again = std::make_shared<TestProducer>("", true, "data: bye\n\n");
  Next(again);
  auto sock2 = Open();
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(*sock2, buf, res, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "data: bye\n\n");
}

TEST_F(HttpStreamTest, StopEndsOpenStreamsCleanly) {
  Serve({});
  auto p = std::make_shared<TestProducer>("data: open\n\n", false);
  Next(p);
  auto sock = Open();
  ASSERT_TRUE(WaitUntil([&] { return p->started.load(); }));
  server_->Stop();
  EXPECT_TRUE(p->stopped.load());
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(*sock, buf, res, ec);  // a complete message: the last chunk came
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.body(), "data: open\n\n");
}

TEST_F(HttpStreamTest, TlsFilesThatDoNotExistAreRefusedNamingTheKey) {
  auto s = HttpServer::Start({.address = "127.0.0.1:0",
                              .tls_cert_file = "/nonexistent/cert.pem",
                              .tls_key_file = "/nonexistent/key.pem"},
                             [](Request&) { return Response{}; });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("https-cert-file \"/nonexistent/cert.pem\""),
            std::string::npos)
      << s.status().message();
}

TEST_F(HttpStreamTest, ClientCaWithoutCertificateIsRefused) {
  auto s = HttpServer::Start({.address = "127.0.0.1:0", .tls_client_ca_file = "/tmp/ca.pem"},
                             [](Request&) { return Response{}; });
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("https-client-ca-file requires"), std::string::npos)
      << s.status().message();
}

}  // namespace
}  // namespace ckron::api
