#include "api/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/log.h"

namespace ckron::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::chrono::steady_clock::duration Chrono(absl::Duration d) {
  return absl::ToChronoMilliseconds(d);
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions* options, const Handler* handler,
          net::thread_pool* pool)
      : stream_(std::move(socket)), options_(options), handler_(handler), pool_(pool) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_->max_header_bytes));
    parser_->body_limit(options_->max_body_bytes);
    // The first byte of a keep-alive request may take idle_timeout; Beast's
    // one timer covers the whole header read, so it is the larger of both.
    stream_.expires_after(Chrono(first_
                                     ? options_->header_timeout
                                     : std::max(options_->idle_timeout, options_->header_timeout)));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    first_ = false;
    if (ec) return Fail(ec);
    const auto& req = parser_->get();
    if (const auto len = parser_->content_length(); len && *len > options_->max_body_bytes) {
      return Reject(413,
                    "request body over " + std::to_string(options_->max_body_bytes) + " bytes");
    }
    if (absl::EqualsIgnoreCase(std::string(req[http::field::expect]), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     req.version());
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code ec2, std::size_t) {
                          if (ec2) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(Chrono(options_->body_timeout));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRequest(ec); });
  }

  void OnRequest(beast::error_code ec) {
    if (ec) return Fail(ec);
    stream_.expires_never();
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    auto request = std::make_shared<Request>();
    request->method = std::string(msg.method_string());
    request->target = std::string(msg.target());
    for (const auto& f : msg) {
      request->headers[absl::AsciiStrToLower(std::string(f.name_string()))] =
          std::string(f.value());
    }
    request->body = std::move(msg.body());
    beast::error_code ignored;
    const auto remote = stream_.socket().remote_endpoint(ignored);
    if (!ignored)
      request->remote = remote.address().to_string() + ":" + std::to_string(remote.port());
    if (!ParseTarget(request->target, &request->path, &request->query)) {
      return Reject(400, "malformed request target");
    }
    net::post(*pool_, [self = shared_from_this(), request] {
      Response response = (*self->handler_)(*request);
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Write(std::move(response), self->keep_alive_);
      });
    });
  }

  // Answers an error detected before any handler ran and closes.
  void Reject(int status, std::string message) {
    Response r = TextError(status, std::move(message));
    r.SetHeader("Connection", "close");
    linger_ = true;
    Write(std::move(r), false);
  }

  void Write(Response r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(version_ == 0 ? 11 : version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "ckron");
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(Chrono(options_->write_timeout));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec || !res->keep_alive()) return self->Close();
                        self->ReadHeader();
                      });
  }

  void Fail(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Reject(413,
                    "request body over " + std::to_string(options_->max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) {
      return Reject(431,
                    "request header over " + std::to_string(options_->max_header_bytes) + " bytes");
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Reject(400, "malformed HTTP request: " + ec.message());
    }
    Close();  // end of stream, timeout, reset
  }

  void Close() {
    beast::error_code ignored;
    if (linger_) {
      // The client may still be sending what we refused (a body over the
      // limit): closing now would reset the connection and could destroy
      // our answer before it is read. Stop sending, then read and drop what
      // still comes, bounded in bytes and time (a "lingering close").
      linger_ = false;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.expires_after(std::chrono::seconds(2));
      Drain();
      return;
    }
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  void Drain() {
    drain_buf_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) {
                                self->stream_.close();
                                return;
                              }
                              self->Drain();
                            });
  }

  static constexpr std::size_t kMaxDrainBytes = 8 << 20;

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServerOptions* options_;
  const Handler* handler_;
  net::thread_pool* pool_;
  bool first_ = true;
  bool linger_ = false;  // the next Close() drains what the client still sends
  std::vector<char> drain_buf_;
  std::size_t drained_ = 0;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<net::thread_pool> pool;
  std::vector<std::thread> threads;
  std::string bound;
  bool stopped = false;

  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(s), &options, &handler, pool.get())->Start();
      }
      Accept();
    });
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->handler = std::move(handler);
  const std::string& addr = impl->options.address;
  const std::size_t colon = addr.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(addr.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return Status::InvalidArgument("http address \"" + addr + "\" is not host:port");
  }
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  beast::error_code ec;
  const auto ip = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("http address \"" + addr + "\": " + ec.message());
  const tcp::endpoint ep(ip, static_cast<std::uint16_t>(port));
  auto& a = impl->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("cannot listen on " + addr + ": " + ec.message());
  const auto local = a.local_endpoint();
  impl->bound = local.address().to_string() + ":" + std::to_string(local.port());
  impl->pool = std::make_unique<net::thread_pool>(
      static_cast<std::size_t>(std::max(1, impl->options.handler_threads)));
  impl->Accept();
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, impl->options.io_threads); ++i) {
    impl->threads.emplace_back([raw] { raw->ioc.run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
}

std::string HttpServer::address() const {
  return impl_->bound;
}

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  // Running handlers finish; their responses are dropped with the loop.
  impl_->pool->join();
}

}  // namespace ckron::api
