#include "executor/testing/http_server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"

namespace ckron::executor::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct TestHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::ssl::context> ssl;
  bool tls = false;
};

TestHttpServer::TestHttpServer(Handler handler, std::optional<TlsSetup> tls)
    : handler_(std::move(handler)), impl_(std::make_unique<Impl>()) {
  if (tls) {
    impl_->tls = true;
    impl_->ssl.emplace(asio::ssl::context::tls_server);
    impl_->ssl->use_certificate_chain_file(tls->certificate_chain_file);
    impl_->ssl->use_private_key_file(tls->key_file, asio::ssl::context::pem);
    if (!tls->client_ca_file.empty()) {
      impl_->ssl->load_verify_file(tls->client_ca_file);
      impl_->ssl->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
    }
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TestHttpServer::~TestHttpServer() {
  Release();
  // shutdown(2) wakes a thread blocked in accept/read on these sockets.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  acceptor_.join();
  std::vector<std::thread> sessions;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : sockets_) {
      ::shutdown(std::static_pointer_cast<tcp::socket>(s)->native_handle(), SHUT_RDWR);
    }
    sessions.swap(sessions_);
  }
  for (std::thread& t : sessions) t.join();
}

std::string TestHttpServer::Url(const std::string& path) const {
  return std::string(impl_->tls ? "https" : "http") +
         "://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port()) + path;
}

std::vector<TestRequest> TestHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void TestHttpServer::BlockUntilReleased() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return released_; });
}

void TestHttpServer::Release() {
  {
    std::lock_guard lock(mu_);
    released_ = true;
  }
  cv_.notify_all();
}

void TestHttpServer::WaitForRequests(std::size_t n) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return requests_.size() >= n; });
}

void TestHttpServer::AcceptLoop() {
  while (true) {
    auto socket = std::make_shared<tcp::socket>(impl_->io);
    beast::error_code ec;
    impl_->acceptor.accept(*socket, ec);
    if (ec) return;  // shut down
    ++connections_;
    std::lock_guard lock(mu_);
    sockets_.push_back(socket);
    sessions_.emplace_back([this, socket] { Serve(socket); });
  }
}

namespace {

template <typename Stream>
void ServeStream(Stream& stream, const Handler& handler, const std::string& client_subject,
                 const std::function<void(const TestRequest&)>& record) {
  beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    TestRequest tr;
    tr.method = std::string(req.method_string());
    tr.target = std::string(req.target());
    tr.body = req.body();
    tr.client_subject = client_subject;
    for (const auto& field : req) {
      tr.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    record(tr);
    const TestResponse out = handler(tr);
    if (req.method() == http::verb::head) {
      http::response<http::empty_body> res{static_cast<http::status>(out.status), req.version()};
      for (const auto& [name, value] : out.headers) res.set(name, value);
      res.content_length(out.body.size());
      res.keep_alive(req.keep_alive());
      http::write(stream, res, ec);
    } else {
      http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
      for (const auto& [name, value] : out.headers) res.set(name, value);
      res.body() = out.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(stream, res, ec);
    }
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace

void TestHttpServer::Serve(std::shared_ptr<void> opaque) {
  auto socket = std::static_pointer_cast<tcp::socket>(opaque);
  const auto record = [this](const TestRequest& r) {
    {
      std::lock_guard lock(mu_);
      requests_.push_back(r);
    }
    cv_.notify_all();
  };
  if (!impl_->tls) {
    ServeStream(*socket, handler_, "", record);
    ::shutdown(socket->native_handle(), SHUT_RDWR);  // the client sees the close
    return;
  }
  asio::ssl::stream<tcp::socket&> tls(*socket, *impl_->ssl);
  beast::error_code ec;
  tls.handshake(asio::ssl::stream_base::server, ec);
  if (ec) {
    ::shutdown(socket->native_handle(), SHUT_RDWR);
    return;
  }
  std::string subject;
  if (X509* peer = SSL_get1_peer_certificate(tls.native_handle())) {
    char name[256];
    X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof name);
    subject = name;
    X509_free(peer);
  }
  ServeStream(tls, handler_, subject, record);
  ::shutdown(socket->native_handle(), SHUT_RDWR);
}

}  // namespace ckron::executor::testing
