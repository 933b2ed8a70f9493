// What the gossip state machines need from the world: time, timers,
// randomness and two ways to reach a peer (a datagram, and a one-shot stream
// exchange). AsioEnv (asio_env.h) binds them to real sockets; SimNetwork
// (sim_network.h) to a virtual clock and a seeded lossy network, so the same
// protocol code runs in production and in the deterministic simulation.
//
// Thread safety: an Env and everything driven by it live on one owner thread;
// every callback an Env makes runs on that thread. No method may be called
// from another thread.
#ifndef CKRON_MEMBERSHIP_ENV_H_
#define CKRON_MEMBERSHIP_ENV_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "membership/address.h"

namespace ckron::membership {

using Nanos = std::chrono::nanoseconds;
using namespace std::chrono_literals;  // 200ms etc. in option defaults

// Receives what arrives for one node. Called on the owner thread.
class Inbox {
 public:
  virtual ~Inbox() = default;
  // One UDP datagram.
  virtual void OnPacket(const Address& from, std::string_view bytes) = 0;
  // One complete stream message (framed per wire::StreamFrameLength); the
  // returned bytes, if any, are written back before the stream is closed.
  virtual std::optional<std::string> OnStream(const Address& from, std::string_view frame) = 0;
};

class Env {
 public:
  using TimerId = std::uint64_t;
  virtual ~Env() = default;

  // Monotonic time since an arbitrary epoch.
  virtual Nanos Now() = 0;
  // Runs `fn` once after `delay`. Returns an id for Cancel (never 0).
  virtual TimerId After(Nanos delay, std::function<void()> fn) = 0;
  // Cancels a pending timer; a no-op for fired or unknown ids.
  virtual void Cancel(TimerId id) = 0;
  // Uniform 64 random bits.
  virtual std::uint64_t Random() = 0;

  // Sends one datagram; delivery is not guaranteed and errors are dropped
  // (memberlist treats UDP the same way).
  virtual void SendPacket(const Address& to, std::string bytes) = 0;
  // Connects to `to`, writes `request`, and when `expect_reply` reads one
  // framed message back; calls `done` exactly once with the reply (empty
  // when !expect_reply) or an error (kUnavailable for connect/IO failures,
  // kTimeout past `timeout`).
  virtual void Exchange(const Address& to, std::string request, bool expect_reply, Nanos timeout,
                        std::function<void(Result<std::string>)> done) = 0;
};

// A uniform integer in [0, n); 0 when n == 0.
inline std::uint64_t RandomBelow(Env& env, std::uint64_t n) {
  return n == 0 ? 0 : env.Random() % n;
}

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_ENV_H_
