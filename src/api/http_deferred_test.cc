// Deferred responses and inline handlers through the real transport
// (http_server.h) on 127.0.0.1: a response completed later from another
// thread reaches the client (with its middleware steps), keep-alive goes on
// after it, an inline handler is answered while every handler thread is
// busy, and a response completed after Stop() is dropped safely. Waits are
// bounded; nothing asserts on timing.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "api/http_server.h"

namespace ckron::api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Deferred responses handed out by the handler, for the test to complete.
class Pending {
 public:
  void Add(std::shared_ptr<DeferredResponse> d) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(d));
    cv_.notify_all();
  }
  // The next one handed out (waits at most 30 s; null if none came).
  std::shared_ptr<DeferredResponse> Take() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !items_.empty(); })) {
      return nullptr;
    }
    auto d = items_.front();
    items_.erase(items_.begin());
    return d;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<DeferredResponse>> items_;
};

class HttpDeferredTest : public ::testing::Test {
 protected:
  // /deferred answers through Pending (inline); /block waits for Unblock()
  // on a handler thread (one only).
  void Serve() {
    auto s = HttpServer::Start(
        {.address = "127.0.0.1:0", .handler_threads = 1},
        [this](Request& r) {
          if (r.path == "/block") {
            std::unique_lock lock(mu_);
            blocked_ = true;
            cv_.notify_all();
            cv_.wait(lock, [&] { return !block_; });
            return Response{.body = "unblocked"};
          }
          auto d = std::make_shared<DeferredResponse>();
          d->Then([](Response& answered) { answered.SetHeader("X-Step", "ran"); });
          pending_.Add(d);
          Response deferred;
          deferred.deferred = d;
          return deferred;
        },
        [](Request& r) { return r.path == "/deferred"; });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }

  tcp::socket Connect() {
    tcp::socket sock(ioc_);
    const std::string addr = server_->address();
    const auto colon = addr.rfind(':');
    sock.connect({net::ip::make_address(addr.substr(0, colon)),
                  static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1)))});
    return sock;
  }
  static void Send(tcp::socket& sock, const std::string& target) {
    http::request<http::empty_body> req(http::verb::post, target, 11);
    req.set(http::field::host, "test");
    http::write(sock, req);
  }
  static http::response<http::string_body> Read(tcp::socket& sock) {
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(sock, buf, res);
    return res;
  }
  void Unblock() {
    std::lock_guard lock(mu_);
    block_ = false;
    cv_.notify_all();
  }
  bool WaitBlocked() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return blocked_; });
  }

  net::io_context ioc_;
  Pending pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool block_ = true;
  bool blocked_ = false;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpDeferredTest, CompletedFromAnotherThreadReachesTheClientAndKeepAliveGoesOn) {
  Serve();
  tcp::socket sock = Connect();
  for (int i = 0; i < 2; ++i) {
    Send(sock, "/deferred");
    auto d = pending_.Take();
    ASSERT_NE(d, nullptr);
    const std::string body = "answer " + std::to_string(i);
    std::thread([d, body] { d->Complete(Response{.status = 201, .body = body}); }).join();
    auto res = Read(sock);
    EXPECT_EQ(res.result_int(), 201);
    EXPECT_EQ(res.body(), body);
    EXPECT_EQ(res[http::field::server], "ckron");
    EXPECT_EQ(res["X-Step"], "ran");
    EXPECT_TRUE(res.keep_alive());
  }
  Unblock();
}

TEST_F(HttpDeferredTest, InlineRequestsAreAnsweredWhileEveryHandlerThreadIsBusy) {
  Serve();
  tcp::socket blocker = Connect();
  Send(blocker, "/block");
  ASSERT_TRUE(WaitBlocked());  // the only handler thread is taken
  tcp::socket sock = Connect();
  Send(sock, "/deferred");
  auto d = pending_.Take();
  ASSERT_NE(d, nullptr);  // the handler ran though no handler thread was free
  d->Complete(Response{.body = "done"});
  EXPECT_EQ(Read(sock).body(), "done");
  Unblock();
  EXPECT_EQ(Read(blocker).body(), "unblocked");
}

TEST_F(HttpDeferredTest, DroppedUnansweredIsA500) {
  Serve();
  tcp::socket sock = Connect();
  Send(sock, "/deferred");
  auto d = pending_.Take();
  ASSERT_NE(d, nullptr);
  d.reset();  // the last reference: nobody will complete it
  auto res = Read(sock);
  EXPECT_EQ(res.result_int(), 500);
  EXPECT_NE(res.body().find("dropped"), std::string::npos);
  Unblock();
}

TEST_F(HttpDeferredTest, CompletedAfterStopIsDropped) {
  Serve();
  tcp::socket sock = Connect();
  Send(sock, "/deferred");
  auto d = pending_.Take();
  ASSERT_NE(d, nullptr);
  Unblock();
  server_->Stop();
  d->Complete(Response{.body = "too late"});  // must neither crash nor write
  server_.reset();
  d.reset();
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(sock, buf, res, ec);
  EXPECT_TRUE(ec);  // closed without an answer
}

}  // namespace
}  // namespace ckron::api
