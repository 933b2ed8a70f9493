// The real-network Env: one UDP socket and one TCP listener on the same
// port, timers, all on one Asio io_context whose single thread is the
// gossip owner thread. Streams are read with wire::StreamFrameLength so a
// message is handed over only when complete, never past Limits::max_stream,
// and every connection has a deadline.
//
// Thread safety: construct, Bind and Close from any thread before/after the
// io_context runs; everything else runs on the io_context's thread.
#ifndef CKRON_MEMBERSHIP_ASIO_ENV_H_
#define CKRON_MEMBERSHIP_ASIO_ENV_H_

#include <boost/asio.hpp>
#include <map>
#include <memory>
#include <random>

#include "membership/env.h"
#include "membership/wire.h"

namespace ckron::membership {

class AsioEnv final : public Env {
 public:
  AsioEnv(boost::asio::io_context& io, wire::Limits limits, Nanos stream_timeout);
  ~AsioEnv() override;

  // Binds UDP and TCP to `bind` (port 0 picks a free port for both).
  // Errors: kUnavailable with the OS error.
  Status Bind(const Address& bind);
  Address bound() const { return bound_; }
  // Starts receiving; `inbox` must outlive the Env or Close() first.
  void Start(Inbox* inbox);
  void Close();

  Nanos Now() override;
  TimerId After(Nanos delay, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  std::uint64_t Random() override { return rng_(); }
  void SendPacket(const Address& to, std::string bytes) override;
  void Exchange(const Address& to, std::string request, bool expect_reply, Nanos timeout,
                std::function<void(Result<std::string>)> done) override;

 private:
  struct Conn;
  void ReceiveLoop();
  void AcceptLoop();
  void ReadFrame(std::shared_ptr<Conn> c, std::function<void(Result<std::string>)> done);

  boost::asio::io_context& io_;
  wire::Limits limits_;
  Nanos stream_timeout_;
  boost::asio::ip::udp::socket udp_;
  boost::asio::ip::tcp::acceptor tcp_;
  Address bound_;
  Inbox* inbox_ = nullptr;
  std::mt19937_64 rng_{std::random_device{}()};
  TimerId next_timer_ = 0;
  std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::array<char, 65536> rx_{};
  boost::asio::ip::udp::endpoint rx_from_;
  bool closed_ = false;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_ASIO_ENV_H_
