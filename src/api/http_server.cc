#include "api/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "api/stream_channel.h"
#include "api/tls_context.h"
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

// An open streaming response, as the server sees it (for Stop()).
class OpenStream {
 public:
  virtual ~OpenStream() = default;
  // Ends the stream gracefully (posted to its strand).
  virtual void EndFromServer() = 0;
  // After the I/O threads are gone: closes the channel and stops the
  // producer of a stream that did not end in time.
  virtual void ForceStop() = 0;
};

// Whether the server still runs its I/O loop: deferred responses completing
// after Stop() must not post to it. It also holds the connections waiting
// for a deferred response (the response's sink holds them weakly), so that
// Stop() destroys them while the I/O loop they use still exists.
struct Gate {
  std::mutex mu;
  bool open = true;                                    // guarded by mu
  std::unordered_set<std::shared_ptr<void>> awaiting;  // guarded by mu
};

// What every connection shares with the server.
struct Shared {
  HttpServerOptions options;
  Handler handler;
  std::function<bool(Request&)> runs_inline;  // empty: nothing runs inline
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  net::thread_pool* pool = nullptr;
  boost::asio::ssl::context* tls = nullptr;  // null: plain HTTP

  // The open streams; guarded by mu.
  std::mutex mu;
  std::condition_variable streams_changed;
  std::set<std::shared_ptr<OpenStream>> streams;
  bool stopping = false;

  // Requests handed to the handler pool whose answer is not yet written;
  // guarded by mu. Stop() lets them finish (a POST /v1/leave is answered
  // before the server that it stops goes away).
  int answering = 0;
  void EndAnswer() {
    std::lock_guard lock(mu);
    --answering;
    streams_changed.notify_all();
  }

  // False (503) when max_streams are open or the server stops.
  bool AddStream(const std::shared_ptr<OpenStream>& s) {
    std::lock_guard lock(mu);
    if (stopping || static_cast<int>(streams.size()) >= options.max_streams) return false;
    streams.insert(s);
    return true;
  }
  void RemoveStream(const std::shared_ptr<OpenStream>& s) {
    std::lock_guard lock(mu);
    streams.erase(s);
    streams_changed.notify_all();
  }
};

// One connection. `Stream` is beast::tcp_stream (HTTP) or
// beast::ssl_stream<beast::tcp_stream> (HTTPS); every handler runs on the
// connection's strand.
template <typename Stream>
class Session : public OpenStream, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(tcp::socket socket, Shared* shared)
      : stream_(MakeStream(std::move(socket), shared)),
        shared_(shared),
        options_(&shared->options),
        heartbeat_(stream_.get_executor()) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Tcp().expires_after(Chrono(self->options_->header_timeout));
        self->stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                      [self](beast::error_code ec) {
                                        if (ec) return self->Close();
                                        self->ReadHeader();
                                      });
      } else {
        self->ReadHeader();
      }
    });
  }

  void EndFromServer() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->channel_) self->channel_->End("");
    });
  }

  void ForceStop() override {
    if (channel_) channel_->Close();
    if (producer_started_ && !producer_stopped_) {
      producer_stopped_ = true;
      producer_->Stop();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  static Stream MakeStream(tcp::socket socket, Shared* shared) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *shared->tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options_->max_header_bytes));
    parser_->body_limit(options_->max_body_bytes);
    // The first byte of a keep-alive request may take idle_timeout; Beast's
    // one timer covers the whole header read, so it is the larger of both.
    Tcp().expires_after(Chrono(first_
                                   ? options_->header_timeout
                                   : std::max(options_->idle_timeout, options_->header_timeout)));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->OnHeader(ec);
                            });
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
      http::async_write(
          stream_, *cont,
          [self = this->shared_from_this(), cont](beast::error_code ec2, std::size_t) {
            if (ec2) return self->Close();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Tcp().expires_after(Chrono(options_->body_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->OnRequest(ec);
                     });
  }

  void OnRequest(beast::error_code ec) {
    if (ec) return Fail(ec);
    Tcp().expires_never();
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
    if (!remote_known_) {  // a connection's peer never changes: one syscall per connection
      remote_known_ = true;
      beast::error_code ignored;
      const auto remote = Tcp().socket().remote_endpoint(ignored);
      if (!ignored) remote_ = remote.address().to_string() + ":" + std::to_string(remote.port());
    }
    request->remote = remote_;
    if (!ParseTarget(request->target, &request->path, &request->query)) {
      return Reject(400, "malformed request target");
    }
    if (shared_->runs_inline && shared_->runs_inline(*request)) {
      // On this strand: the handler does not block.
      return Respond(shared_->handler(*request));
    }
    {
      std::lock_guard lock(shared_->mu);
      ++shared_->answering;
    }
    pending_answer_ = true;
    net::post(*shared_->pool, [self = this->shared_from_this(), request] {
      Response response = self->shared_->handler(*request);
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->Respond(std::move(response));
      });
    });
  }

  // On the strand: writes the handler's response, or, when it is deferred,
  // arranges for it to be written here once it completes.
  void Respond(Response response) {
    if (response.deferred) {
      std::shared_ptr<DeferredResponse> deferred = std::move(response.deferred);
      const std::shared_ptr<Gate>& gate = shared_->gate;
      {
        std::lock_guard lock(gate->mu);
        if (!gate->open) return;  // stopping: the connection is about to close
        gate->awaiting.insert(this->shared_from_this());
      }
      deferred->SetSink([weak = this->weak_from_this(), gate](DeferredResponse::Maker make) {
        std::lock_guard lock(gate->mu);
        if (!gate->open) return;  // the server stopped: nobody to answer
        auto self = weak.lock();
        if (!self) return;
        gate->awaiting.erase(self);
        net::post(self->stream_.get_executor(),
                  [self, make = std::move(make)] { self->Respond(make()); });
      });
      return;
    }
    if (response.stream) return StartStream(std::move(response));
    Write(std::move(response), keep_alive_);
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
    Tcp().expires_after(Chrono(options_->write_timeout));
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                        self->AnswerWritten();
                        if (ec || !res->keep_alive()) return self->Close();
                        self->ReadHeader();
                      });
  }

  // ---- streaming responses ----

  // The pool's answer of this connection is out (or will never be).
  void AnswerWritten() {
    if (!pending_answer_) return;
    pending_answer_ = false;
    shared_->EndAnswer();
  }

  void StartStream(Response r) {
    AnswerWritten();  // a stream is not waited for: Stop() ends it
    if (!shared_->AddStream(this->shared_from_this())) {
      Response busy =
          TextError(503, "too many open streams (at most " + std::to_string(options_->max_streams) +
                             "); try again later");
      for (const auto& [k, v] : r.headers) {
        if (absl::StartsWithIgnoreCase(k, "access-control-") || k == "X-Whom") {
          busy.SetHeader(k, v);
        }
      }
      return Write(std::move(busy), keep_alive_);
    }
    registered_ = true;
    producer_ = std::move(r.stream);
    heartbeat_bytes_ = std::move(r.heartbeat);
    chunked_ = version_ >= 11;
    auto header = std::make_shared<http::response<http::empty_body>>();
    header->version(version_ == 0 ? 11 : version_);
    header->result(static_cast<unsigned>(r.status));
    header->set(http::field::server, "ckron");
    if (!r.content_type.empty()) header->set(http::field::content_type, r.content_type);
    header->set(http::field::cache_control, "no-cache");
    header->set("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
    for (const auto& [k, v] : r.headers) header->set(k, v);
    header->keep_alive(false);
    if (chunked_) header->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    Tcp().expires_after(Chrono(options_->write_timeout));
    http::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), header, serializer](beast::error_code ec, std::size_t) {
          self->Tcp().expires_never();
          if (ec) return self->FinishStream();
          self->OnStreamHeader();
        });
  }

  void OnStreamHeader() {
    if (finished_) return;
    std::weak_ptr<Session> weak = this->shared_from_this();
    channel_ = std::make_shared<internal::StreamChannel>(options_->stream_max_queued_bytes,
                                                         [weak, ex = stream_.get_executor()] {
                                                           net::post(ex, [weak] {
                                                             if (auto self = weak.lock())
                                                               self->Pump();
                                                           });
                                                         });
    last_write_ = std::chrono::steady_clock::now();
    WatchForClose();
    ArmHeartbeat();
    producer_started_ = true;
    producer_->Start(channel_);
  }

  // Writes what the producer queued, one write at a time.
  void Pump() {
    if (finished_ || writing_ || !channel_) return;
    bool ended = false;
    auto data = std::make_shared<std::string>(channel_->Take(&ended));
    if (data->empty() && !ended) return;
    writing_ = true;
    auto done = [self = this->shared_from_this(), data, ended](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->Tcp().expires_never();
      self->channel_->Written(data->size());
      self->last_write_ = std::chrono::steady_clock::now();
      if (ec || ended) return self->FinishStream();
      self->Pump();
    };
    Tcp().expires_after(Chrono(options_->write_timeout));
    if (!chunked_) {
      net::async_write(stream_, net::buffer(*data), std::move(done));
    } else if (ended && data->empty()) {
      net::async_write(stream_, http::make_chunk_last(), std::move(done));
    } else if (ended) {
      // The last bytes, then the terminating chunk.
      net::async_write(
          stream_, http::make_chunk(net::buffer(*data)),
          [self = this->shared_from_this(), done](beast::error_code ec, std::size_t n) {
            if (ec) return done(ec, n);
            net::async_write(self->stream_, http::make_chunk_last(), done);
          });
    } else {
      net::async_write(stream_, http::make_chunk(net::buffer(*data)), std::move(done));
    }
  }

  // The client sends nothing on a stream; a read completes when it leaves.
  void WatchForClose() {
    drain_buf_.resize(4096);
    stream_.async_read_some(net::buffer(drain_buf_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (self->finished_) return;
                              if (ec) return self->FinishStream();
                              self->WatchForClose();
                            });
  }

  void ArmHeartbeat() {
    if (heartbeat_bytes_.empty()) return;
    heartbeat_.expires_after(Chrono(options_->stream_heartbeat));
    heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->finished_) return;
      const auto silent = std::chrono::steady_clock::now() - self->last_write_;
      if (silent >= Chrono(self->options_->stream_heartbeat) && !self->writing_) {
        self->channel_->Send(self->heartbeat_bytes_);
      }
      self->ArmHeartbeat();
    });
  }

  // The stream is over (its end written, or the connection failed).
  void FinishStream() {
    if (finished_) return;
    finished_ = true;
    heartbeat_.cancel();
    ForceStop();
    if (registered_) shared_->RemoveStream(this->shared_from_this());
    Close();
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
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      Tcp().expires_after(std::chrono::seconds(2));
      Drain();
      return;
    }
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();
  }

  void Drain() {
    drain_buf_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(drain_buf_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxDrainBytes) {
                                self->Tcp().close();
                                return;
                              }
                              self->Drain();
                            });
  }

  static constexpr std::size_t kMaxDrainBytes = 8 << 20;

  Stream stream_;
  Shared* const shared_;
  const HttpServerOptions* const options_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool first_ = true;
  bool linger_ = false;  // the next Close() drains what the client still sends
  std::vector<char> drain_buf_;
  std::size_t drained_ = 0;
  bool keep_alive_ = false;
  std::string remote_;  // "ip:port" of the client, once known
  bool remote_known_ = false;
  bool pending_answer_ = false;  // counted in shared_->answering until written
  unsigned version_ = 11;

  // Streaming state, on the strand (ForceStop: after the I/O threads end).
  std::shared_ptr<StreamProducer> producer_;
  std::shared_ptr<internal::StreamChannel> channel_;
  std::string heartbeat_bytes_;
  net::steady_timer heartbeat_;
  std::chrono::steady_clock::time_point last_write_;
  bool chunked_ = false;
  bool registered_ = false;  // in shared_->streams until FinishStream
  bool writing_ = false;
  bool finished_ = false;
  bool producer_started_ = false;
  bool producer_stopped_ = false;
};

}  // namespace

struct HttpServer::Impl {
  Shared shared;
  // Before ioc: connections destroyed with the loop still use it.
  std::unique_ptr<boost::asio::ssl::context> tls;
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
        if (tls) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(std::move(s), &shared)
              ->Start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(std::move(s), &shared)->Start();
        }
      }
      Accept();
    });
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Handler handler,
                                                      std::function<bool(Request&)> runs_inline) {
  auto impl = std::make_unique<Impl>();
  impl->shared.options = std::move(options);
  impl->shared.handler = std::move(handler);
  impl->shared.runs_inline = std::move(runs_inline);
  const HttpServerOptions& o = impl->shared.options;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty() || !o.tls_client_ca_file.empty()) {
    CKRON_ASSIGN_OR_RETURN(impl->tls, internal::MakeServerTlsContext(
                                          o.tls_cert_file, o.tls_key_file, o.tls_client_ca_file));
    impl->shared.tls = impl->tls.get();
  }
  const std::string& addr = o.address;
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
  impl->pool =
      std::make_unique<net::thread_pool>(static_cast<std::size_t>(std::max(1, o.handler_threads)));
  impl->shared.pool = impl->pool.get();
  impl->Accept();
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, o.io_threads); ++i) {
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

// How long Stop() waits for open streams to write their end.
constexpr auto kStreamEndWait = std::chrono::seconds(2);
// How long Stop() waits for answers the handler pool is still producing.
constexpr auto kAnswerWait = std::chrono::seconds(2);

void HttpServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  Shared& shared = impl_->shared;
  {
    // Answers being computed or written go out first (bounded).
    std::unique_lock lock(shared.mu);
    shared.streams_changed.wait_for(lock, kAnswerWait, [&] { return shared.answering <= 0; });
  }
  {
    std::unique_lock lock(shared.mu);
    shared.stopping = true;
    for (const auto& s : shared.streams) s->EndFromServer();
    shared.streams_changed.wait_for(lock, kStreamEndWait, [&] { return shared.streams.empty(); });
  }
  std::unordered_set<std::shared_ptr<void>> awaiting;  // destroyed below, before the loop
  {
    std::lock_guard lock(shared.gate->mu);
    shared.gate->open = false;
    awaiting.swap(shared.gate->awaiting);
  }
  impl_->ioc.stop();
  for (std::thread& t : impl_->threads) t.join();
  // Running handlers finish; their responses are dropped with the loop.
  impl_->pool->join();
  std::set<std::shared_ptr<OpenStream>> left;
  {
    std::lock_guard lock(shared.mu);
    left.swap(shared.streams);
  }
  for (const auto& s : left) s->ForceStop();
}

}  // namespace ckron::api
