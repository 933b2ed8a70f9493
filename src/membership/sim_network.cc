#include "membership/sim_network.h"

#include "membership/wire.h"

namespace ckron::membership {

class SimNetwork::NodeEnv final : public Env {
 public:
  NodeEnv(SimNetwork& net, Address addr) : net_(net), addr_(std::move(addr)) {}

  Nanos Now() override { return net_.now_; }
  TimerId After(Nanos delay, std::function<void()> fn) override {
    const TimerId id = ++net_.next_timer_;
    net_.Schedule(net_.now_ + std::max(delay, Nanos(0)), id, [this, fn = std::move(fn)] {
      if (up) fn();
    });
    return id;
  }
  void Cancel(TimerId id) override { net_.pending_timers_.erase(id); }
  std::uint64_t Random() override { return net_.rng_(); }

  void SendPacket(const Address& to, std::string bytes) override {
    if (!up) return;
    bytes_sent += bytes.size();
    net_.total_bytes_ += bytes.size();
    if (net_.Lost()) return;
    net_.Schedule(net_.now_ + net_.Latency(), 0, [this, to, bytes = std::move(bytes)] {
      auto it = net_.nodes_.find(to);
      if (it == net_.nodes_.end() || !it->second->up || it->second->deaf ||
          it->second->inbox == nullptr) {
        return;
      }
      it->second->inbox->OnPacket(addr_, bytes);
    });
  }

  // A TCP exchange on the lossy path: each segment (SYN, SYN-ACK, request,
  // reply) is lost at the datagram loss rate and resent after Linux's
  // retransmission timeouts (1 s for the handshake, 200 ms for data, each
  // doubling), so loss shows up as delay, and past `timeout` as kTimeout —
  // what memberlist's TCP fallback ping and push/pull see under nftables
  // random drop. A crashed peer's host answers a connect with a reset.
  void Exchange(const Address& to, std::string request, bool expect_reply, Nanos timeout,
                std::function<void(Result<std::string>)> done) override {
    if (!up) return;
    bytes_sent += request.size();
    net_.total_bytes_ += request.size();
    net_.stream_bytes_ += request.size();
    const Nanos start = net_.now_;
    const Nanos deadline = start + timeout;
    const Nanos connected = start + net_.SegmentDelay(1s) + net_.SegmentDelay(1s);
    auto dst = net_.nodes_.find(to);
    if (dst == net_.nodes_.end() || !dst->second->up) {
      const Nanos at = std::min(connected, deadline);
      const bool refused = connected <= deadline;
      net_.Schedule(at, 0, [this, done, refused] {
        if (!up) return;
        done(refused ? Status::Unavailable("connection refused")
                     : Status::Timeout("connect timed out"));
      });
      return;
    }
    const Nanos arrives = connected + net_.SegmentDelay(200ms);
    const Nanos reply_lag = net_.SegmentDelay(200ms);
    // The caller gives up at the deadline whatever happens after it.
    auto settled = std::make_shared<bool>(false);
    net_.Schedule(deadline, 0, [this, done, settled] {
      if (*settled || !up) return;
      *settled = true;
      done(Status::Timeout("stream exchange timed out"));
    });
    if (arrives > deadline || dst->second->deaf) return;  // the caller times out
    net_.Schedule(
        arrives, 0,
        [this, to, request = std::move(request), expect_reply, done, settled, reply_lag, deadline] {
          auto dst = net_.nodes_.find(to);
          if (dst == net_.nodes_.end() || !dst->second->up || !dst->second->inbox) {
            net_.Schedule(net_.now_ + net_.Latency(), 0, [this, done, settled] {
              if (*settled || !up) return;
              *settled = true;
              done(Status::Unavailable("connection reset"));
            });
            return;
          }
          auto reply = dst->second->inbox->OnStream(addr_, request);
          std::string r = reply.value_or("");
          dst->second->bytes_sent += r.size();
          net_.total_bytes_ += r.size();
          net_.stream_bytes_ += r.size();
          const Nanos back = net_.now_ + reply_lag;
          if (back > deadline) return;
          net_.Schedule(back, 0, [this, expect_reply, r = std::move(r), done, settled] {
            if (*settled || !up || deaf) return;  // a deaf caller times out
            *settled = true;
            if (expect_reply && r.empty()) {
              done(Status::Unavailable("stream closed without reply"));
            } else {
              done(r);
            }
          });
        });
  }

  SimNetwork& net_;
  Address addr_;
  Inbox* inbox = nullptr;
  bool up = true;
  bool deaf = false;  // BlockInbound
  std::uint64_t bytes_sent = 0;
};

SimNetwork::SimNetwork(SimOptions options) : options_(options), rng_(options.seed) {}
SimNetwork::~SimNetwork() = default;

Env& SimNetwork::AddNode(const Address& addr) {
  auto& slot = nodes_[addr];
  slot = std::make_unique<NodeEnv>(*this, addr);
  return *slot;
}

void SimNetwork::Attach(const Address& addr, Inbox* inbox) {
  nodes_.at(addr)->inbox = inbox;
}
void SimNetwork::Crash(const Address& addr) {
  nodes_.at(addr)->up = false;
}
void SimNetwork::BlockInbound(const Address& addr, bool on) {
  nodes_.at(addr)->deaf = on;
}

bool SimNetwork::Up(const Address& a) const {
  auto it = nodes_.find(a);
  return it != nodes_.end() && it->second->up;
}

std::uint64_t SimNetwork::bytes_sent(const Address& a) const {
  auto it = nodes_.find(a);
  return it == nodes_.end() ? 0 : it->second->bytes_sent;
}

bool SimNetwork::Lost() {
  return options_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < options_.loss;
}

Nanos SimNetwork::SegmentDelay(Nanos rto) {
  Nanos d = Latency();
  for (int tries = 0; Lost() && tries < 8; ++tries) {
    d += rto;
    rto *= 2;
  }
  return d;
}

Nanos SimNetwork::Latency() {
  const auto lo = options_.min_latency.count(), hi = options_.max_latency.count();
  return Nanos(lo + static_cast<std::int64_t>(
                        rng_() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, hi - lo))));
}

void SimNetwork::Schedule(Nanos at, std::uint64_t timer_id, std::function<void()> fn) {
  if (timer_id != 0) pending_timers_.insert(timer_id);
  events_.push(Event{at, ++seq_, timer_id, std::move(fn)});
}

void SimNetwork::RunUntil(Nanos until) {
  while (!events_.empty() && events_.top().at <= until) {
    // Moving out of the top is safe: pop() only compares `at` and `seq`,
    // which a move leaves intact.
    Event e = std::move(const_cast<Event&>(events_.top()));
    events_.pop();
    now_ = e.at;
    if (e.timer_id != 0 && pending_timers_.erase(e.timer_id) == 0) continue;  // cancelled
    e.fn();
  }
  now_ = until;
}

}  // namespace ckron::membership
