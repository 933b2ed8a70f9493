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
  void Cancel(TimerId id) override {
    if (id != 0) net_.cancelled_[id] = true;
  }
  std::uint64_t Random() override { return net_.rng_(); }

  void SendPacket(const Address& to, std::string bytes) override {
    if (!up) return;
    bytes_sent += bytes.size();
    net_.total_bytes_ += bytes.size();
    if (std::uniform_real_distribution<double>(0, 1)(net_.rng_) < net_.options_.loss) return;
    net_.Schedule(net_.now_ + net_.Latency(), 0, [this, to, bytes = std::move(bytes)] {
      auto it = net_.nodes_.find(to);
      if (it == net_.nodes_.end() || !it->second->up || it->second->inbox == nullptr) return;
      it->second->inbox->OnPacket(addr_, bytes);
    });
  }

  void Exchange(const Address& to, std::string request, bool expect_reply, Nanos timeout,
                std::function<void(Result<std::string>)> done) override {
    if (!up) return;
    bytes_sent += request.size();
    net_.total_bytes_ += request.size();
    auto it = net_.nodes_.find(to);
    if (it == net_.nodes_.end() || !it->second->up) {
      // A crashed process: the connect is refused after one round trip.
      net_.Schedule(net_.now_ + 2 * net_.Latency(), 0, [this, done] {
        if (up) done(Status::Unavailable("connection refused"));
      });
      return;
    }
    (void)timeout;  // streams are reliable here; latency is far below any timeout
    net_.Schedule(net_.now_ + net_.Latency(), 0,
                  [this, to, request = std::move(request), expect_reply, done] {
                    auto dst = net_.nodes_.find(to);
                    if (dst == net_.nodes_.end() || !dst->second->up || !dst->second->inbox) {
                      if (up) done(Status::Unavailable("connection reset"));
                      return;
                    }
                    auto reply = dst->second->inbox->OnStream(addr_, request);
                    std::string r = reply.value_or("");
                    dst->second->bytes_sent += r.size();
                    net_.total_bytes_ += r.size();
                    net_.Schedule(net_.now_ + net_.Latency(), 0,
                                  [this, expect_reply, r = std::move(r), done] {
                                    if (!up) return;
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
  std::uint64_t bytes_sent = 0;
};

SimNetwork::SimNetwork(SimOptions options) : options_(options), rng_(options.seed) {}
SimNetwork::~SimNetwork() = default;

Env& SimNetwork::AddNode(const Address& addr) {
  auto& slot = nodes_[addr];
  slot = std::make_unique<NodeEnv>(*this, addr);
  return *slot;
}

void SimNetwork::Attach(const Address& addr, Inbox* inbox) { nodes_.at(addr)->inbox = inbox; }
void SimNetwork::Crash(const Address& addr) { nodes_.at(addr)->up = false; }

bool SimNetwork::Up(const Address& a) const {
  auto it = nodes_.find(a);
  return it != nodes_.end() && it->second->up;
}

std::uint64_t SimNetwork::bytes_sent(const Address& a) const {
  auto it = nodes_.find(a);
  return it == nodes_.end() ? 0 : it->second->bytes_sent;
}

Nanos SimNetwork::Latency() {
  const auto lo = options_.min_latency.count(), hi = options_.max_latency.count();
  return Nanos(lo + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(std::max<std::int64_t>(1, hi - lo))));
}

void SimNetwork::Schedule(Nanos at, std::uint64_t timer_id, std::function<void()> fn) {
  events_.push(Event{at, ++seq_, timer_id, std::move(fn)});
}

void SimNetwork::RunUntil(Nanos until) {
  while (!events_.empty() && events_.top().at <= until) {
    Event e = events_.top();
    events_.pop();
    now_ = e.at;
    if (e.timer_id != 0) {
      auto c = cancelled_.find(e.timer_id);
      if (c != cancelled_.end()) {
        cancelled_.erase(c);
        continue;
      }
    }
    e.fn();
  }
  now_ = until;
}

}  // namespace ckron::membership
