// raft::Node: the libuv loop thread around an Engine and one libraft instance
// with libraft's own disk (raft_uv) and TCP (raft_uv_tcp) I/O.
//
// Loop thread lifecycle:
//   Start  -> thread: loop + async/check handles -> OpenInstance (tcp, uv io,
//             raft_init, tuning, peers.json recovery, bootstrap, raft_start)
//             -> queue open -> uv_run
//   Tick   -> the uv_check handle runs Engine::Tick after every loop
//             iteration; the uv_async handle only wakes the loop
//   Stop   -> queue closed -> Engine::BeginShutdown -> raft_close -> (close
//             callback) uv io/tcp freed -> Engine::FinishShutdown -> handles
//             closed -> uv_run returns -> thread exits
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "common/check.h"
#include "common/log.h"
#include "raft/c_api.h"
#include "raft/engine.h"
#include "raft/inbound_queue.h"
#include "raft/leadership.h"
#include "raft/peers_file.h"
#include "raft/raft.h"
#include "raft/tcp_nodelay.h"

namespace ckron::raft {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("raft");
}

// libraft's TCP transport writes to sockets whose peer may have died; without
// this the write raises SIGPIPE and kills the process (deps.md §1: it killed
// both surviving followers in failover runs).
void IgnoreSigpipe() {
  struct sigaction old {};
  if (sigaction(SIGPIPE, nullptr, &old) != 0) return;
  if (old.sa_handler == SIG_IGN) return;
  if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO) != 0) {
    Log()->warn("SIGPIPE has a handler installed; leaving it (it must not write to a pipe)");
    return;
  }
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  CKRON_CHECK(sigaction(SIGPIPE, &ign, nullptr) == 0);
}

std::future<Status> Ready(Status st) {
  std::promise<Status> p;
  p.set_value(std::move(st));
  return p.get_future();
}

// A libraft configuration built from ours; closes itself.
class CConfiguration {
 public:
  CConfiguration() { raft_configuration_init(&c_); }
  ~CConfiguration() { raft_configuration_close(&c_); }
  CConfiguration(const CConfiguration&) = delete;
  CConfiguration& operator=(const CConfiguration&) = delete;
  Status Add(const Server& s) {
    const int role = s.role == Role::kVoter     ? RAFT_VOTER
                     : s.role == Role::kStandby ? RAFT_STANDBY
                                                : RAFT_SPARE;
    const int rv = raft_configuration_add(&c_, s.id.value(), s.address.c_str(), role);
    if (rv != 0)
      return Status::InvalidArgument(std::string("raft configuration: ") + raft_strerror(rv));
    return OkStatus();
  }
  const struct raft_configuration* get() const { return &c_; }

 private:
  struct raft_configuration c_;
};

// One libraft instance with its I/O. `raft` is the first member so the close
// callback, which only gets the `struct raft*`, can find the instance.
struct Instance {
  ::raft raft;
  struct raft_io io;
  struct raft_uv_transport transport;
  void* owner;  // the Node::Impl
  bool transport_initialised;
  bool io_initialised;
  bool raft_initialised;
  bool open;  // raft_start succeeded and raft_close not yet called
};
static_assert(std::is_standard_layout_v<Instance>);

}  // namespace

class Node::Impl {
 public:
  Impl(Options options, StateMachine* sm)
      : options_(std::move(options)),
        raft_dir_(options_.data_dir / "raft"),
        queue_(options_.max_queued_proposals, [this] { uv_async_send(&async_); }),
        engine_(options_, sm, &queue_, &listeners_) {}

  ~Impl() { Stop(); }

  RaftId id() const { return options_.id; }

  Status Bootstrap(std::vector<Server> servers);
  Status Start();
  void Stop();

  void ProposeAsync(std::string command, internal::ProposalDone done);
  std::future<Status> PostOp(std::function<void(internal::Engine&, std::promise<Status>)> op);

  std::vector<Server> Configuration() const { return engine_.Configuration(); }
  std::optional<LeaderInfo> Leader() const { return engine_.leader(); }
  bool IsLeader() const { return engine_.IsLeader(); }
  NodeInfo Info() const {
    NodeInfo info = engine_.Info();
    info.id = options_.id;
    return info;
  }

  std::uint64_t AddListener(LeadershipListener l);
  void RemoveListener(std::uint64_t h) { listeners_.Remove(h); }

 private:
  // Loop thread.
  void LoopMain(std::promise<Status> started, std::optional<std::vector<Server>> recover);
  Status OpenInstance(const std::optional<std::vector<Server>>& bootstrap,
                      const std::optional<std::vector<Server>>& recover);
  void CloseInstance(std::function<void()> then);
  void FreeInstance();
  void CloseHandles();
  void BeginStop();
  // Closes the instance once the disk has every appended entry (or the
  // drain deadline passed); see BeginStop.
  void MaybeFinishDrain();
  void OnFatal(const Status& st);
  static void OnAsync(uv_async_t*) {}  // waking the loop is all it does
  static void OnCheck(uv_check_t* h);
  static void OnRaftClosed(::raft* r);

  const Options options_;
  const std::filesystem::path raft_dir_;
  internal::InboundQueue queue_;
  internal::ListenerRegistry listeners_;
  internal::Engine engine_;

  std::mutex lifecycle_mu_;  // serialises Start/Stop/Bootstrap
  bool running_ = false;     // guarded by lifecycle_mu_
  bool stopped_ = false;     // guarded by lifecycle_mu_; a Node runs once
  std::thread thread_;
  std::optional<std::vector<Server>> bootstrap_;  // guarded by lifecycle_mu_
  std::atomic<bool> stop_requested_{false};

  // Loop-thread state.
  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_check_t check_{};
  std::unique_ptr<Instance> inst_;
  std::function<void()> after_close_;
  bool stopping_ = false;
  bool fatal_close_pending_ = false;
  std::optional<std::chrono::steady_clock::time_point> drain_deadline_;
};

// ----------------------------------------------------------------------------
// Lifecycle (caller threads)

Status Node::Impl::Start() {
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (running_) return Status::FailedPrecondition("raft node already started");
  if (stopped_) {
    return Status::FailedPrecondition(
        "a stopped raft node cannot be started again; create a new one with a fresh state machine");
  }
  IgnoreSigpipe();

  std::error_code ec;
  std::filesystem::create_directories(raft_dir_, ec);
  if (ec) return Status::Unavailable("cannot create " + raft_dir_.string() + ": " + ec.message());

  std::optional<std::vector<Server>> recover;
  const std::filesystem::path peers = raft_dir_ / kPeersFileName;
  if (std::filesystem::exists(peers, ec)) {
    std::ifstream in(peers);
    std::stringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) return Status::Unavailable("cannot read " + peers.string());
    auto servers = ParsePeersJson(text.str());
    if (!servers.ok()) return servers.status().WithContext(peers.string());
    recover = std::move(servers).value();
  }

  stop_requested_ = false;
  std::promise<Status> started;
  std::future<Status> result = started.get_future();
  thread_ = std::thread([this, p = std::move(started), r = std::move(recover)]() mutable {
    LoopMain(std::move(p), std::move(r));
  });
  Status st = result.get();
  if (!st.ok()) {
    thread_.join();
    return st;
  }
  running_ = true;
  return OkStatus();
}

void Node::Impl::Stop() {
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (!running_) return;
  stop_requested_ = true;
  // The async handle lives until the loop has seen the request.
  uv_async_send(&async_);
  thread_.join();
  running_ = false;
  stopped_ = true;
}

Status Node::Impl::Bootstrap(std::vector<Server> servers) {
  for (Server& s : servers) s.address = WithDefaultPort(s.address);
  CKRON_RETURN_IF_ERROR(ValidateConfiguration(servers));
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (!running_) {
    bootstrap_ = std::move(servers);
    return OkStatus();
  }
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> f = done->get_future();
  const bool posted = queue_.Post([this, done, servers = std::move(servers)] {
    if (stopping_ || !inst_ || !inst_->open) {
      return done->set_value(Status::FailedPrecondition("raft node is not serving"));
    }
    ::raft* r = &inst_->raft;
    if (r->current_term != 0 || raft_last_index(r) != 0 || r->configuration.n != 0) {
      Log()->info("bootstrap ignored: this server already has raft state");
      return done->set_value(OkStatus());
    }
    engine_.BeginShutdown();
    CloseInstance([this, done, servers] {
      engine_.FinishShutdown();
      Status st = OpenInstance(servers, std::nullopt);
      if (!st.ok()) Log()->error("raft restart for bootstrap failed: {}", st.ToString());
      done->set_value(st);
    });
  });
  if (!posted) return Status::FailedPrecondition("raft node is stopping");
  return f.get();
}

void Node::Impl::ProposeAsync(std::string command, internal::ProposalDone done) {
  internal::Proposal p;
  p.done = std::move(done);
  if (command.size() > options_.max_command_bytes) {
    p.Complete(Status::InvalidArgument("command of " + std::to_string(command.size()) +
                                       " bytes exceeds max_command_bytes " +
                                       std::to_string(options_.max_command_bytes)));
    return;
  }
  p.command = std::move(command);
  if (Status st = queue_.Push(p); !st.ok()) p.Complete(st);
}

std::future<Status> Node::Impl::PostOp(
    std::function<void(internal::Engine&, std::promise<Status>)> op) {
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> f = done->get_future();
  const bool posted =
      queue_.Post([this, done, op = std::move(op)] { op(engine_, std::move(*done)); });
  if (!posted) done->set_value(Status::Cancelled("raft node is not running"));
  return f;
}

std::uint64_t Node::Impl::AddListener(LeadershipListener l) {
  const std::uint64_t h = listeners_.Add(std::move(l), /*active=*/false);
  // Activated on the loop, in order with the events it publishes.
  if (!queue_.Post([this, h] { engine_.AddListenerOnLoop(h); })) {
    listeners_.Activate(h, std::nullopt);  // not running: nothing to catch up on
  }
  return h;
}

// ----------------------------------------------------------------------------
// Loop thread

void Node::Impl::LoopMain(std::promise<Status> started,
                          std::optional<std::vector<Server>> recover) {
  CKRON_CHECK(uv_loop_init(&loop_) == 0);
  loop_.data = this;
  CKRON_CHECK(uv_async_init(&loop_, &async_, &Impl::OnAsync) == 0);
  async_.data = this;
  CKRON_CHECK(uv_check_init(&loop_, &check_) == 0);
  check_.data = this;
  CKRON_CHECK(uv_check_start(&check_, &Impl::OnCheck) == 0);
  stopping_ = false;
  fatal_close_pending_ = false;

  Status st = OpenInstance(bootstrap_, recover);
  if (!st.ok()) {
    stopping_ = true;
    CloseInstance([this] { CloseHandles(); });
    uv_run(&loop_, UV_RUN_DEFAULT);
    FreeInstance();
    uv_loop_close(&loop_);
    started.set_value(st);
    return;
  }
  queue_.Reopen();
  started.set_value(OkStatus());

  uv_run(&loop_, UV_RUN_DEFAULT);

  FreeInstance();
  if (const int rc = uv_loop_close(&loop_); rc != 0) {
    Log()->error("raft loop closed with handles still open: {}", uv_strerror(rc));
  }
}

Status Node::Impl::OpenInstance(const std::optional<std::vector<Server>>& bootstrap,
                                const std::optional<std::vector<Server>>& recover) {
  FreeInstance();
  inst_ = std::make_unique<Instance>();
  Instance& in = *inst_;
  in.owner = this;

  const std::string address = WithDefaultPort(options_.address);
  int rv = raft_uv_tcp_init(&in.transport, &loop_);
  if (rv != 0) return Status::Unavailable(std::string("raft tcp init: ") + raft_strerror(rv));
  in.transport_initialised = true;
  internal::DisableNagle(&in.transport);
  if (!options_.bind_address.empty()) {
    rv = raft_uv_tcp_set_bind_address(&in.transport, options_.bind_address.c_str());
    if (rv != 0) return Status::InvalidArgument("raft bind address " + options_.bind_address);
  }
  rv = raft_uv_init(&in.io, &loop_, raft_dir_.c_str(), &in.transport);
  if (rv != 0) {
    return Status::Unavailable("raft storage at " + raft_dir_.string() + ": " + in.io.errmsg);
  }
  in.io_initialised = true;
  // libraft 0.15 implements async_work but advertises io version 1, which
  // makes raft_init refuse an fsm with snapshot_async. Fixed upstream in
  // 269e541 ("uv: set io version to 2").
  if (in.io.version < 2 && in.io.async_work != nullptr) in.io.version = 2;
  // Compression would pack every snapshot buffer into one (uv_snapshot.c
  // makeFileCompressed); we keep the chunks apart.
  raft_uv_set_snapshot_compression(&in.io, false);
  raft_uv_set_segment_size(&in.io, options_.segment_size);
  raft_uv_set_connect_retry_delay(&in.io,
                                  static_cast<unsigned>(options_.connect_retry_delay.count()));

  rv = raft_init(&in.raft, &in.io, engine_.fsm(), options_.id.value(), address.c_str());
  if (rv != 0) {
    return Status::Unavailable(std::string("raft init: ") + raft_strerror(rv) + " (" +
                               in.io.errmsg + ")");
  }
  in.raft_initialised = true;
  const Timeouts t = TimeoutsFor(options_.multiplier);
  raft_set_election_timeout(&in.raft, static_cast<unsigned>(t.election.count()));
  raft_set_heartbeat_timeout(&in.raft, static_cast<unsigned>(t.heartbeat.count()));
  raft_set_pre_vote(&in.raft, options_.pre_vote);
  raft_set_snapshot_threshold(&in.raft, SnapshotThresholdFor(options_));
  raft_set_snapshot_trailing(&in.raft, options_.snapshot_trailing);
  raft_set_max_catch_up_rounds(&in.raft, options_.max_catch_up_rounds);
  raft_set_max_catch_up_round_duration(
      &in.raft, static_cast<unsigned>(options_.max_catch_up_round_duration.count()));
  engine_.Attach(&in.raft, [this](const Status& st) { OnFatal(st); });

  if (recover) {
    CConfiguration conf;
    for (const Server& s : *recover) CKRON_RETURN_IF_ERROR(conf.Add(s));
    rv = raft_recover(&in.raft, conf.get());
    if (rv != 0) {
      return Status::Unavailable(std::string("raft recover from peers.json: ") + raft_strerror(rv) +
                                 " (" + in.io.errmsg + ")");
    }
    std::error_code ec;
    std::filesystem::rename(raft_dir_ / kPeersFileName, raft_dir_ / kPeersAppliedFileName, ec);
    if (ec) {
      return Status::Unavailable("peers.json was applied but could not be renamed (" +
                                 ec.message() + "); remove it before starting again");
    }
    Log()->warn("recovered the raft configuration from peers.json ({} servers); renamed it to {}",
                recover->size(), kPeersAppliedFileName);
  }
  if (bootstrap) {
    CConfiguration conf;
    for (const Server& s : *bootstrap) CKRON_RETURN_IF_ERROR(conf.Add(s));
    rv = raft_bootstrap(&in.raft, conf.get());
    if (rv == RAFT_CANTBOOTSTRAP) {
      Log()->info("raft already bootstrapped; ignoring the bootstrap configuration");
    } else if (rv != 0) {
      return Status::Unavailable(std::string("raft bootstrap: ") + raft_strerror(rv) + " (" +
                                 in.io.errmsg + ")");
    }
  }
  rv = raft_start(&in.raft);
  if (rv != 0) {
    const std::string why = std::string(raft_strerror(rv)) + " (" + raft_errmsg(&in.raft) + ")";
    if (rv == RAFT_CORRUPT || rv == RAFT_MALFORMED) return Status::Internal("raft start: " + why);
    return Status::Unavailable("raft start: " + why);
  }
  in.open = true;
  engine_.Refresh();  // raft_start loaded the log: make its configuration readable now
  Log()->info("raft node {} serving at {} (data {}, election {} ms, heartbeat {} ms, pre-vote {})",
              options_.id.value(), address, raft_dir_.string(), t.election.count(),
              t.heartbeat.count(), options_.pre_vote);
  return OkStatus();
}

// Closes the instance (whatever stage it reached) and runs `then` on the loop
// once libraft and its I/O are gone.
void Node::Impl::CloseInstance(std::function<void()> then) {
  Instance* in = inst_.get();
  if (in == nullptr || !in->raft_initialised) {
    if (in != nullptr) {
      if (engine_.attached()) engine_.Detach();
      if (in->io_initialised) raft_uv_close(&in->io);
      if (in->transport_initialised) raft_uv_tcp_close(&in->transport);
      in->io_initialised = in->transport_initialised = false;
    }
    then();
    return;
  }
  after_close_ = std::move(then);
  in->open = false;
  raft_close(&in->raft, &Impl::OnRaftClosed);
}

void Node::Impl::OnRaftClosed(::raft* r) {
  auto* in = reinterpret_cast<Instance*>(r);
  auto* self = static_cast<Impl*>(in->owner);
  raft_uv_close(&in->io);
  raft_uv_tcp_close(&in->transport);
  in->raft_initialised = in->io_initialised = in->transport_initialised = false;
  self->engine_.Detach();
  std::function<void()> then = std::move(self->after_close_);
  self->after_close_ = nullptr;
  if (then) then();
}

void Node::Impl::FreeInstance() {
  if (inst_) CKRON_CHECK(!inst_->raft_initialised && !inst_->io_initialised);
  inst_.reset();
}

void Node::Impl::CloseHandles() {
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
}

// libraft 0.15 crashes when raft_close cancels two or more pending leader
// log appends: each cancelled append truncates the log from its own index
// without checking that the index is still in the log (replication.c
// appendLeaderCb; fixed upstream in 8b9c95c). So Stop first stops proposing,
// then lets the outstanding writes reach the disk (milliseconds), and only
// then closes. Bounded: after kDrainTimeout it closes anyway.
constexpr auto kDrainTimeout = std::chrono::seconds(5);

void Node::Impl::BeginStop() {
  stopping_ = true;
  queue_.Close();  // no more wake-ups: the async handle can be closed below
  engine_.BeginShutdown();
  if (inst_ && inst_->open) {
    drain_deadline_ = std::chrono::steady_clock::now() + kDrainTimeout;
    MaybeFinishDrain();
  } else {
    // Never started serving, or already closed after a fatal storage error.
    engine_.FinishShutdown();
    CloseInstance([this] { CloseHandles(); });
  }
}

void Node::Impl::MaybeFinishDrain() {
  if (!drain_deadline_) return;
  ::raft* r = &inst_->raft;
  const bool drained = r->last_stored >= raft_last_index(r);
  if (!drained && std::chrono::steady_clock::now() < *drain_deadline_) return;
  if (!drained) {
    Log()->warn("closing raft with log writes still pending ({} of {} stored)", r->last_stored,
                raft_last_index(r));
  }
  drain_deadline_.reset();
  CloseInstance([this] {
    engine_.FinishShutdown();
    CloseHandles();
  });
}

void Node::Impl::OnFatal(const Status& st) {
  if (!options_.on_fatal_storage_error) {
    Log()->critical("aborting: {}", st.ToString());
    std::abort();
  }
  options_.on_fatal_storage_error(st);
  // Stop taking part in the cluster (no votes, no acknowledgements): close
  // the instance from the next loop iteration, outside libraft's callback.
  fatal_close_pending_ = true;
}

void Node::Impl::OnCheck(uv_check_t* h) {
  auto* self = static_cast<Impl*>(h->data);
  if (self->stopping_) {
    if (self->drain_deadline_) {
      self->engine_.Tick();  // completes what arrives meanwhile (kCancelled)
      self->MaybeFinishDrain();
    }
    return;
  }
  if (self->stop_requested_.load()) {
    self->BeginStop();
    return;
  }
  if (self->fatal_close_pending_ && self->inst_ && self->inst_->open) {
    self->fatal_close_pending_ = false;
    self->engine_.BeginShutdown();
    self->CloseInstance([self] { self->engine_.FinishShutdown(); });
  }
  self->engine_.Tick();
}

// ----------------------------------------------------------------------------
// Node: thin forwarding to Impl

Result<std::unique_ptr<Node>> Node::Create(Options options, StateMachine* state_machine) {
  CKRON_RETURN_IF_ERROR(Validate(options));
  if (state_machine == nullptr) return Status::InvalidArgument("raft: state machine is required");
  options.address = WithDefaultPort(options.address);
  if (options.id.value() == 0) options.id = IdFromNodeName(options.node_name);
  return std::unique_ptr<Node>(new Node(std::make_unique<Impl>(std::move(options), state_machine)));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

RaftId Node::id() const {
  return impl_->id();
}
Status Node::Bootstrap(std::vector<Server> servers) {
  return impl_->Bootstrap(std::move(servers));
}
Status Node::Start() {
  return impl_->Start();
}
void Node::Stop() {
  impl_->Stop();
}

std::future<Result<Applied>> Node::Propose(std::string command) {
  auto promise = std::make_shared<std::promise<Result<Applied>>>();
  std::future<Result<Applied>> f = promise->get_future();
  impl_->ProposeAsync(std::move(command),
                      [promise](Result<Applied> r) { promise->set_value(std::move(r)); });
  return f;
}

void Node::ProposeAsync(std::string command, std::function<void(Result<Applied>)> done) {
  impl_->ProposeAsync(std::move(command), std::move(done));
}

std::future<Status> Node::Barrier() {
  return impl_->PostOp(
      [](internal::Engine& e, std::promise<Status> p) { e.Barrier(std::move(p)); });
}

std::future<Status> Node::AddVoter(RaftId id, std::string address) {
  address = WithDefaultPort(address);
  if (Status st = ValidateAddress(address); !st.ok()) return Ready(st);
  return impl_->PostOp(
      [id, address = std::move(address)](internal::Engine& e, std::promise<Status> p) mutable {
        e.AddVoter(id, std::move(address), std::move(p));
      });
}

std::future<Status> Node::RemoveServer(RaftId id) {
  return impl_->PostOp(
      [id](internal::Engine& e, std::promise<Status> p) { e.RemoveServer(id, std::move(p)); });
}

std::future<Status> Node::TransferLeadership(std::optional<RaftId> target) {
  return impl_->PostOp([target](internal::Engine& e, std::promise<Status> p) {
    e.TransferLeadership(target, std::move(p));
  });
}

std::vector<Server> Node::Configuration() const {
  return impl_->Configuration();
}
std::optional<LeaderInfo> Node::Leader() const {
  return impl_->Leader();
}
bool Node::IsLeader() const {
  return impl_->IsLeader();
}
NodeInfo Node::Info() const {
  return impl_->Info();
}

std::uint64_t Node::AddLeadershipListener(LeadershipListener listener) {
  return impl_->AddListener(std::move(listener));
}

void Node::RemoveLeadershipListener(std::uint64_t handle) {
  impl_->RemoveListener(handle);
}

}  // namespace ckron::raft
