#include "membership/asio_env.h"

#include "common/log.h"

namespace ckron::membership {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {
asio::ip::address ToAsio(const Address& a) {
  if (a.ip.size() == 4) {
    asio::ip::address_v4::bytes_type b;
    std::copy(a.ip.begin(), a.ip.end(), b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(a.ip.begin(), std::min<std::size_t>(16, a.ip.size()), b.begin());
  return asio::ip::address_v6(b);
}

Address FromAsio(const asio::ip::address& ip, std::uint16_t port) {
  if (ip.is_v4()) {
    auto b = ip.to_v4().to_bytes();
    return Address{std::string(b.begin(), b.end()), port};
  }
  auto b = ip.to_v6().to_bytes();
  return Address{NormalizeIp(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())),
                 port};
}
}  // namespace

struct AsioEnv::Conn {
  explicit Conn(asio::io_context& io) : sock(io), timer(io) {}
  tcp::socket sock;
  asio::steady_timer timer;
  std::string buf;
  std::array<char, 16384> chunk{};
  bool finished = false;
};

AsioEnv::AsioEnv(asio::io_context& io, wire::Limits limits, Nanos stream_timeout)
    : io_(io), limits_(limits), stream_timeout_(stream_timeout), udp_(io), tcp_(io) {}

AsioEnv::~AsioEnv() {
  Close();
}

Status AsioEnv::Bind(const Address& bind) {
  boost::system::error_code ec;
  tcp::endpoint tep(ToAsio(bind), bind.port);
  tcp_.open(tep.protocol(), ec);
  if (!ec) tcp_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) tcp_.bind(tep, ec);
  if (!ec) tcp_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("gossip TCP bind " + bind.ToString() + ": " + ec.message());
  const std::uint16_t port = tcp_.local_endpoint().port();
  udp::endpoint uep(ToAsio(bind), port);
  udp_.open(uep.protocol(), ec);
  if (!ec) udp_.bind(uep, ec);
  if (ec) return Status::Unavailable("gossip UDP bind " + bind.ToString() + ": " + ec.message());
  // Bigger buffers ride out bursts (memberlist asks for 2 MiB too).
  udp_.set_option(asio::socket_base::receive_buffer_size(2 << 20), ec);
  bound_ = Address{bind.ip, port};
  return OkStatus();
}

void AsioEnv::Start(Inbox* inbox) {
  inbox_ = inbox;
  ReceiveLoop();
  AcceptLoop();
}

void AsioEnv::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  udp_.close(ec);
  tcp_.close(ec);
  for (auto& [id, t] : timers_) t->cancel();
  timers_.clear();
}

Nanos AsioEnv::Now() {
  return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now().time_since_epoch());
}

Env::TimerId AsioEnv::After(Nanos delay, std::function<void()> fn) {
  const TimerId id = ++next_timer_;
  auto t = std::make_unique<asio::steady_timer>(io_);
  t->expires_after(delay);
  t->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (ec) return;
    timers_.erase(id);
    fn();
  });
  timers_[id] = std::move(t);
  return id;
}

void AsioEnv::Cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

void AsioEnv::SendPacket(const Address& to, std::string bytes) {
  if (closed_) return;
  boost::system::error_code ec;
  udp_.send_to(asio::buffer(bytes), udp::endpoint(ToAsio(to), to.port), 0, ec);
}

void AsioEnv::ReceiveLoop() {
  udp_.async_receive_from(asio::buffer(rx_), rx_from_,
                          [this](const boost::system::error_code& ec, std::size_t n) {
                            if (closed_ || ec == asio::error::operation_aborted) return;
                            if (!ec && inbox_ != nullptr) {
                              inbox_->OnPacket(FromAsio(rx_from_.address(), rx_from_.port()),
                                               std::string_view(rx_.data(), n));
                            }
                            ReceiveLoop();
                          });
}

void AsioEnv::ReadFrame(std::shared_ptr<Conn> c, std::function<void(Result<std::string>)> done) {
  auto len = wire::StreamFrameLength(c->buf, limits_);
  if (!len.ok()) return done(len.status());
  if (len->has_value()) return done(c->buf.substr(0, **len));
  c->sock.async_read_some(asio::buffer(c->chunk),
                          [this, c, done](const boost::system::error_code& ec, std::size_t n) {
                            if (ec)
                              return done(Status::Unavailable("stream read: " + ec.message()));
                            c->buf.append(c->chunk.data(), n);
                            ReadFrame(c, done);
                          });
}

void AsioEnv::AcceptLoop() {
  auto c = std::make_shared<Conn>(io_);
  tcp_.async_accept(c->sock, [this, c](const boost::system::error_code& ec) {
    if (closed_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      c->timer.expires_after(stream_timeout_);
      c->timer.async_wait([c](const boost::system::error_code& e) {
        if (!e) {
          boost::system::error_code ignore;
          c->sock.close(ignore);
        }
      });
      boost::system::error_code ep_ec;
      const auto ep = c->sock.remote_endpoint(ep_ec);
      const Address from = ep_ec ? Address{} : FromAsio(ep.address(), ep.port());
      ReadFrame(c, [this, c, from](Result<std::string> frame) {
        if (!frame.ok() || inbox_ == nullptr || closed_) {
          c->timer.cancel();
          return;
        }
        auto reply = inbox_->OnStream(from, *frame);
        if (!reply) {
          c->timer.cancel();
          return;
        }
        auto out = std::make_shared<std::string>(std::move(*reply));
        asio::async_write(
            c->sock, asio::buffer(*out),
            [c, out](const boost::system::error_code&, std::size_t) { c->timer.cancel(); });
      });
    }
    AcceptLoop();
  });
}

void AsioEnv::Exchange(const Address& to, std::string request, bool expect_reply, Nanos timeout,
                       std::function<void(Result<std::string>)> done) {
  auto c = std::make_shared<Conn>(io_);
  auto once = std::make_shared<std::function<void(Result<std::string>)>>(std::move(done));
  auto finish = [c, once](Result<std::string> r) {
    if (c->finished) return;
    c->finished = true;
    c->timer.cancel();
    boost::system::error_code ignore;
    c->sock.close(ignore);
    auto f = std::move(*once);
    f(std::move(r));
  };
  c->timer.expires_after(timeout);
  c->timer.async_wait([finish](const boost::system::error_code& ec) {
    if (!ec) finish(Status::Timeout("stream exchange timed out"));
  });
  auto req = std::make_shared<std::string>(std::move(request));
  c->sock.async_connect(tcp::endpoint(ToAsio(to), to.port),
                        [this, c, req, expect_reply, finish](const boost::system::error_code& ec) {
                          if (c->finished) return;
                          if (ec) return finish(Status::Unavailable("dial: " + ec.message()));
                          asio::async_write(
                              c->sock, asio::buffer(*req),
                              [this, c, req, expect_reply, finish](
                                  const boost::system::error_code& wec, std::size_t) {
                                if (c->finished) return;
                                if (wec)
                                  return finish(Status::Unavailable("write: " + wec.message()));
                                if (!expect_reply) return finish(std::string());
                                ReadFrame(c, finish);
                              });
                        });
}

}  // namespace ckron::membership
