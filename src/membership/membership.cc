#include "membership/membership.h"

#include <future>
#include <thread>

#include "common/log.h"
#include "membership/asio_env.h"
#include "membership/coalescer.h"
#include "membership/serf.h"

namespace ckron::membership {

namespace asio = boost::asio;

namespace {
std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("gossip");
}

MemberInfo ToInfo(const Member& m) {
  MemberInfo i;
  i.name = m.name;
  i.addr = FormatIp(m.addr.ip);
  i.port = m.addr.port;
  i.tags = m.tags;
  i.status = static_cast<MemberState>(m.status);
  if (auto it = m.tags.find("rpc_addr"); it != m.tags.end()) i.rpc_addr = it->second;
  if (auto it = m.tags.find("region"); it != m.tags.end()) i.region = it->second;
  std::copy_n(m.vsn, 6, i.protocol);
  return i;
}

Result<std::vector<Address>> ParseAll(const std::vector<std::string>& addrs) {
  std::vector<Address> out;
  for (const auto& a : addrs) {
    CKRON_ASSIGN_OR_RETURN(Address x, ParseAddress(a, 8946));
    out.push_back(std::move(x));
  }
  return out;
}
}  // namespace

const char* MemberStateName(MemberState s) {
  return MemberStatusName(static_cast<MemberStatus>(s));
}

const char* MemberEventTypeName(MemberEvent::Type t) {
  switch (t) {
    case MemberEvent::Type::kJoin:
      return "member-join";
    case MemberEvent::Type::kLeave:
      return "member-leave";
    case MemberEvent::Type::kFail:
      return "member-failed";
    case MemberEvent::Type::kUpdate:
      return "member-update";
    case MemberEvent::Type::kReap:
      return "member-reap";
    case MemberEvent::Type::kUser:
      return "user";
  }
  return "unknown";
}

// ------------------------------------------------------- EventSubscription

std::optional<MemberEvent> EventSubscription::Next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !q_.empty() || closed_; });
  if (q_.empty()) return std::nullopt;
  MemberEvent e = std::move(q_.front());
  q_.pop_front();
  return e;
}

std::uint64_t EventSubscription::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

void EventSubscription::Push(MemberEvent e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    if (q_.size() >= capacity_) {
      q_.pop_front();
      ++dropped_;
    }
    q_.push_back(std::move(e));
  }
  cv_.notify_one();
}

void EventSubscription::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

// ------------------------------------------------------- Impl

// Owner thread: `thread` runs `io`; serf/env/counters are touched only there.
// mu_ guards the published snapshot and the subscriber list.
struct Membership::Impl {
  MembershipOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<AsioEnv> env;
  GossipCounters counters;
  std::unique_ptr<Serf> serf;
  std::unique_ptr<EventCoalescer> coalescer;  // between serf and subscribers
  std::thread thread;

  mutable std::mutex mu;
  std::vector<MemberInfo> snapshot;                      // guarded by mu
  std::vector<std::shared_ptr<EventSubscription>> subs;  // guarded by mu
  MembershipStats stats;                                 // guarded by mu
  int retry_attempts = 0;                                // owner thread

  // Runs `fn` on the owner thread and waits for its result.
  template <typename F>
  auto Call(F&& fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::forward<F>(fn));
    auto fut = task.get_future();
    asio::post(io, [&task] { task(); });
    return fut.get();
  }

  void Publish() {  // owner thread
    std::vector<MemberInfo> snap;
    for (const auto& m : serf->Members()) snap.push_back(ToInfo(m));
    MembershipStats s;
    s.packets_received = counters.packets_received;
    s.packets_sent = counters.packets_sent;
    s.bytes_received = counters.bytes_received;
    s.bytes_sent = counters.bytes_sent;
    s.packets_dropped_malformed = counters.packets_dropped_malformed;
    s.packets_dropped_decrypt = counters.packets_dropped_decrypt;
    s.packets_dropped_oversize = counters.packets_dropped_oversize;
    s.streams_rejected = counters.streams_rejected;
    s.health_score = serf->memberlist().health_score();
    s.members = snap.size();
    std::lock_guard<std::mutex> lock(mu);
    snapshot = std::move(snap);
    stats = s;
  }

  void OnSerfEvent(const SerfEvent& e) {  // owner thread
    Publish();                            // the directory never waits for coalescing
    coalescer->Push(e);
  }

  void Deliver(const SerfEvent& e) {  // owner thread, out of the coalescer
    MemberEvent out;
    switch (e.type) {
      case SerfEvent::Type::kMemberJoin:
        out.type = MemberEvent::Type::kJoin;
        break;
      case SerfEvent::Type::kMemberLeave:
        out.type = MemberEvent::Type::kLeave;
        break;
      case SerfEvent::Type::kMemberFailed:
        out.type = MemberEvent::Type::kFail;
        break;
      case SerfEvent::Type::kMemberUpdate:
        out.type = MemberEvent::Type::kUpdate;
        break;
      case SerfEvent::Type::kMemberReap:
        out.type = MemberEvent::Type::kReap;
        break;
      case SerfEvent::Type::kUser:
        out.type = MemberEvent::Type::kUser;
        break;
      case SerfEvent::Type::kQuery:
        return;  // acked by Serf; not surfaced
    }
    out.name = e.name;
    out.payload = e.payload;
    out.ltime = e.ltime;
    std::vector<std::shared_ptr<EventSubscription>> targets;
    {
      std::lock_guard<std::mutex> lock(mu);
      targets = subs;
    }
    // A coalesced batch carries several members: one event each.
    std::vector<MemberEvent> events;
    if (e.members.empty()) {
      events.push_back(std::move(out));
    } else {
      for (const Member& m : e.members) {
        events.push_back(out);
        events.back().member = ToInfo(m);
      }
    }
    for (auto& s : targets) {
      for (const auto& ev : events) s->Push(ev);
    }
  }

  void RetryJoin(std::vector<Address> addrs) {  // owner thread
    ++retry_attempts;
    serf->Join(addrs, [this, addrs](int n, Status s) {
      if (n > 0) {
        Log()->info("retry-join succeeded after {} attempt(s)", retry_attempts);
        return;
      }
      Log()->warn("retry-join attempt {} failed: {}", retry_attempts, s.message());
      if (options.retry_max > 0 && retry_attempts >= options.retry_max) {
        Log()->error("retry-join: giving up after {} attempts", retry_attempts);
        return;
      }
      env->After(options.retry_interval, [this, addrs] { RetryJoin(addrs); });
    });
  }
};

Membership::Membership(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Membership::~Membership() {
  if (!impl_) return;
  impl_->Call([this] {
    impl_->serf->Stop();
    impl_->coalescer->Flush();  // subscribers get what was held
    impl_->coalescer.reset();
    impl_->env->Close();
    return 0;
  });
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& s : impl_->subs) s->Close();
}

Result<std::unique_ptr<Membership>> Membership::Start(MembershipOptions options) {
  if (options.node_name.empty()) return Status::InvalidArgument("node name is required");
  MemberlistConfig ml;
  CKRON_RETURN_IF_ERROR(ApplyProfile(options.profile, &ml));
  CKRON_ASSIGN_OR_RETURN(Address bind, ParseAddress(options.bind_addr, 8946));
  if (!options.keys.empty()) {
    CKRON_ASSIGN_OR_RETURN(Keyring ring, Keyring::FromBase64(options.keys));
    ml.keyring = std::make_shared<const Keyring>(std::move(ring));
  }
  if (serf_wire::EncodeTags(options.tags).size() > 512) {
    return Status::InvalidArgument("encoded tags exceed 512 bytes");
  }
  CKRON_ASSIGN_OR_RETURN(auto join, ParseAll(options.join));
  CKRON_ASSIGN_OR_RETURN(auto retry, ParseAll(options.retry_join));

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->env = std::make_unique<AsioEnv>(impl->io, ml.limits, ml.tcp_timeout);
  CKRON_RETURN_IF_ERROR(impl->env->Bind(bind));
  Address adv = impl->env->bound();
  if (!options.advertise_addr.empty()) {
    CKRON_ASSIGN_OR_RETURN(adv, ParseAddress(options.advertise_addr, adv.port));
  }
  if (adv.ip == std::string(4, '\0')) {
    return Status::InvalidArgument("bind address is 0.0.0.0: set an advertise address");
  }
  ml.advertise = adv;
  SerfConfig sc;
  sc.node_name = options.node_name;
  sc.tags = options.tags;
  sc.reconnect_timeout = options.reconnect_timeout;
  sc.tombstone_timeout = options.tombstone_timeout;
  Impl* raw = impl.get();
  impl->coalescer = std::make_unique<EventCoalescer>(
      CoalesceOptions{.member_period = options.coalesce_period,
                      .member_quiescent = options.quiescent_period,
                      .user_period = options.user_coalesce_period,
                      .user_quiescent = options.user_quiescent_period},
      *impl->env, [raw](const SerfEvent& e) { raw->Deliver(e); });
  impl->serf = std::make_unique<Serf>(sc, ml, *impl->env, impl->counters,
                                      [raw](const SerfEvent& e) { raw->OnSerfEvent(e); });
  impl->work.emplace(asio::make_work_guard(impl->io));
  impl->thread = std::thread([raw] { raw->io.run(); });
  std::unique_ptr<Membership> m(new Membership(std::move(impl)));
  Impl& I = *m->impl_;
  I.Call([&I] {
    I.env->Start(&I.serf->memberlist());
    I.serf->Start();
    I.Publish();
    // Keep counters in the snapshot fresh for Stats().
    std::function<void()> tick;
    auto loop = std::make_shared<std::function<void()>>();
    *loop = [&I, loop] {
      I.Publish();
      I.env->After(std::chrono::seconds(1), *loop);
    };
    I.env->After(std::chrono::seconds(1), *loop);
    return 0;
  });
  Log()->info("gossip listening on {} advertising {} (encrypted: {})", I.env->bound().ToString(),
              adv.ToString(), !options.keys.empty());
  if (!join.empty()) {
    auto r = m->Join(options.join);
    if (!r.ok()) Log()->warn("join failed: {}", r.status().message());
  }
  if (!retry.empty())
    I.Call([&I, retry] {
      I.RetryJoin(retry);
      return 0;
    });
  return m;
}

Result<int> Membership::Join(const std::vector<std::string>& addrs) {
  CKRON_ASSIGN_OR_RETURN(auto parsed, ParseAll(addrs));
  auto p = std::make_shared<std::promise<std::pair<int, Status>>>();
  auto fut = p->get_future();
  asio::post(impl_->io, [this, parsed, p] {
    impl_->serf->Join(parsed, [p](int n, Status s) { p->set_value({n, s}); });
  });
  auto [n, s] = fut.get();
  if (n == 0) return Status::Unavailable("failed to join: " + s.message());
  return n;
}

Status Membership::Leave(std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<void>>();
  auto fut = p->get_future();
  asio::post(impl_->io, [this, p] {
    impl_->serf->Leave([this, p] {
      impl_->Publish();
      impl_->coalescer->Flush();
      p->set_value();
    });
  });
  if (fut.wait_for(timeout) != std::future_status::ready) return Status::Timeout("leave timed out");
  return OkStatus();
}

Status Membership::UpdateTags(std::map<std::string, std::string> tags) {
  return impl_->Call([this, &tags] {
    Status s = impl_->serf->SetTags(std::move(tags));
    impl_->Publish();
    return s;
  });
}

Status Membership::SendUserEvent(const std::string& name, const std::string& payload,
                                 bool coalesce) {
  return impl_->Call([&] { return impl_->serf->UserEvent(name, payload, coalesce); });
}

std::vector<MemberInfo> Membership::Members() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->snapshot;
}

std::vector<MemberInfo> Membership::AliveMembers(const std::string& region) const {
  std::vector<MemberInfo> out;
  for (auto& m : Members()) {
    if (m.status == MemberState::kAlive && (region.empty() || m.region == region)) out.push_back(m);
  }
  return out;
}

MemberInfo Membership::LocalMember() const {
  for (auto& m : Members()) {
    if (m.name == impl_->options.node_name) return m;
  }
  return MemberInfo{};
}

std::shared_ptr<EventSubscription> Membership::Subscribe() {
  auto s = std::make_shared<EventSubscription>(impl_->options.event_queue_capacity);
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->subs.push_back(s);
  return s;
}

MembershipStats Membership::Stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

std::string Membership::bound_addr() const {
  return impl_->env->bound().ToString();
}

}  // namespace ckron::membership
