#include "raft/engine.h"

#include <cstring>
#include <utility>

#include "common/check.h"
#include "common/log.h"

namespace ckron::raft::internal {

struct Engine::Batch {
  struct raft_apply req;  // req.data == this
  Engine* engine;
  LogIndex index;
  Term term;
  std::vector<Proposal> proposals;
  std::vector<ApplyOutput> results;  // filled by SlotsFor/apply
};

namespace {

State FromRaftState(int s) {
  switch (s) {
    case RAFT_FOLLOWER:
      return State::kFollower;
    case RAFT_CANDIDATE:
      return State::kCandidate;
    case RAFT_LEADER:
      return State::kLeader;
    default:
      return State::kUnavailable;
  }
}

Role FromRaftRole(int role) {
  switch (role) {
    case RAFT_VOTER:
      return Role::kVoter;
    case RAFT_STANDBY:
      return Role::kStandby;
    default:
      return Role::kSpare;
  }
}

const struct raft_server* FindServer(const ::raft* r, RaftId id) {
  for (unsigned i = 0; i < r->configuration.n; ++i) {
    if (r->configuration.servers[i].id == id.value()) return &r->configuration.servers[i];
  }
  return nullptr;
}

}  // namespace

Engine::Engine(const Options& options, StateMachine* state_machine, InboundQueue* queue,
               ListenerRegistry* listeners)
    : options_(options),
      queue_(queue),
      listeners_(listeners),
      adapter_(state_machine, this, options.snapshot_buffer_bytes) {
  info_.id = options.id;
}

Engine::~Engine() {
  CKRON_CHECK(raft_ == nullptr);
  CKRON_CHECK(inflight_.empty() && outstanding_ops_ == 0);
}

void Engine::Attach(::raft* r, std::function<void(const Status&)> on_fatal) {
  CKRON_CHECK(raft_ == nullptr);
  raft_ = r;
  on_fatal_ = std::move(on_fatal);
  shutting_down_ = false;
  adapter_.set_raft(r);
  guard_ = std::make_unique<IoGuard>();
  guard_->Install(r, [this](const Status& st) { OnStorageFailure(st); });
}

void Engine::Detach() {
  CKRON_CHECK(inflight_.empty() && outstanding_ops_ == 0);
  raft_ = nullptr;
  adapter_.set_raft(nullptr);
  guard_.reset();
}

void Engine::OnStorageFailure(const Status& status) {
  logging::Get("raft")->critical("{}; stopping this node (fail-stop)", status.ToString());
  if (!fatal_.ok()) return;  // report once
  fatal_ = status;
  if (on_fatal_) on_fatal_(status);
}

// ----------------------------------------------------------------------------
// Loop iteration

void Engine::Tick() {
  RunTasks();
  Pump();
  Observe();
}

void Engine::RunTasks() {
  queue_->TakeTasks(&tasks_);
  // Tasks may queue further tasks (deferred follow-ups); run those too.
  while (!tasks_.empty()) {
    std::function<void()> t = std::move(tasks_.front());
    tasks_.pop_front();
    t();
  }
}

Status Engine::NotLeaderStatus() const {
  std::string hint;
  if (raft_ != nullptr && raft_state(raft_) == RAFT_LEADER && raft_->transfer != nullptr) {
    // Handing leadership over: point at the transferee.
    if (const auto* s = FindServer(raft_, RaftId(raft_->transfer->id))) hint = s->address;
    return Status::NotLeader(hint, "leadership transfer in progress");
  }
  if (raft_ != nullptr) {
    raft_id id = 0;
    const char* address = nullptr;
    raft_leader(raft_, &id, &address);
    if (address != nullptr) hint = address;
  }
  return Status::NotLeader(hint, "not the raft leader");
}

Status Engine::MapRaftError(int rv, std::string_view what) const {
  std::string msg = std::string(what) + ": " + raft_strerror(rv);
  if (raft_ != nullptr && raft_errmsg(raft_)[0] != '\0') {
    msg += std::string(" (") + raft_errmsg(raft_) + ")";
  }
  switch (rv) {
    case RAFT_NOTLEADER:
      return NotLeaderStatus();
    case RAFT_CANTCHANGE:
    case RAFT_BUSY:
      return Status::Unavailable(msg + "; another change is in progress, retry");
    case RAFT_NOMEM:
    case RAFT_TOOMANY:
      return Status::ResourceExhausted(msg);
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
      return Status::Cancelled(msg);
    case RAFT_BADID:
    case RAFT_NOTFOUND:
      return Status::NotFound(msg);
    case RAFT_DUPLICATEID:
    case RAFT_DUPLICATEADDRESS:
      return Status::AlreadyExists(msg);
    case RAFT_TOOBIG:
    case RAFT_BADROLE:
    case RAFT_INVALID:
      return Status::InvalidArgument(msg);
    case RAFT_IOERR:
    case RAFT_NOSPACE:
    case RAFT_NOCONNECTION:
      return Status::Unavailable(msg);
    default:
      return Status::Internal(msg);
  }
}

void Engine::FailStaged(const Status& status) {
  const std::size_t n = staged_.size();
  for (Proposal& p : staged_) p.Complete(status);
  staged_.clear();
  queue_->Release(n);
}

void Engine::Pump() {
  queue_->TakeProposals(&staged_);
  if (staged_.empty()) return;
  if (!fatal_.ok()) return FailStaged(Status::Unavailable("raft node failed: " + fatal_.message()));
  if (shutting_down_) return FailStaged(Status::Cancelled("raft node stopping"));
  if (raft_ == nullptr || raft_state(raft_) != RAFT_LEADER || raft_->transfer != nullptr) {
    return FailStaged(NotLeaderStatus());
  }
  const std::size_t max_commands = std::max<std::size_t>(1, options_.max_batch_commands);
  while (!staged_.empty() &&
         inflight_.size() < std::max<std::size_t>(1, options_.max_inflight_batches)) {
    // Take as many queued commands as fit; the first one always fits.
    encoder_.Clear();
    std::size_t n = 0;
    for (auto it = staged_.begin(); it != staged_.end() && n < max_commands; ++it, ++n) {
      if (n > 0 && encoder_.payload_bytes() + it->command.size() > options_.max_batch_bytes) break;
      encoder_.Add(it->command);
    }
    const Term term(raft_->current_term);
    const std::size_t size = encoder_.EncodedSize(term);
    void* base = raft_malloc(size);
    CKRON_CHECK_MSG(base != nullptr, "out of memory encoding a raft entry");
    encoder_.Encode(term, static_cast<std::uint8_t*>(base));
    encoder_.Clear();  // its views point into the commands moved below

    auto* b = new Batch{};
    b->req.data = b;
    b->engine = this;
    b->term = term;
    b->proposals.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      b->proposals.push_back(std::move(staged_.front()));
      staged_.pop_front();
    }
    queue_->Release(n);

    // Registered before raft_apply so that no callback can miss it.
    const raft_index index = raft_last_index(raft_) + 1;
    b->index = LogIndex(index);
    CKRON_CHECK(inflight_.emplace(index, b).second);
    const struct raft_buffer buf = {base, size};
    const int rv = raft_apply(raft_, &b->req, &buf, 1, &Engine::ApplyDone);
    if (rv != 0) {
      // Ownership of `base` did not pass (client.c raft_apply).
      inflight_.erase(index);
      raft_free(base);
      const Status st = MapRaftError(rv, "propose");
      for (Proposal& p : b->proposals) p.Complete(st);
      delete b;
      if (rv == RAFT_NOTLEADER) return FailStaged(st);
      continue;
    }
    CKRON_CHECK(b->req.index == index);
    ++entries_proposed_;
    commands_proposed_ += n;
  }
}

std::vector<ApplyOutput>* Engine::SlotsFor(LogIndex index, Term term, std::size_t count) {
  auto it = inflight_.find(index.value());
  if (it == inflight_.end()) return nullptr;
  Batch* b = it->second;
  // A leader never overwrites its own entries, and every batch is dropped
  // from inflight_ when leadership is lost, so this is our entry.
  CKRON_CHECK(b->term == term && b->proposals.size() == count);
  b->results.resize(count);
  return &b->results;
}

void Engine::ApplyDone(struct raft_apply* req, int status, void* result) {
  auto* b = static_cast<Batch*>(req->data);
  Engine* e = b->engine;
  auto it = e->inflight_.find(b->index.value());
  CKRON_CHECK(it != e->inflight_.end() && it->second == b);
  e->inflight_.erase(it);
  if (status == 0) {
    CKRON_CHECK(result == &b->results && b->results.size() == b->proposals.size());
    for (std::size_t i = 0; i < b->proposals.size(); ++i) {
      ApplyOutput& out = b->results[i];
      b->proposals[i].Complete(Applied{b->index, std::move(out.bytes), std::move(out.object)});
    }
  } else {
    std::string why;
    if (e->shutting_down_) {
      why = "raft node stopped before entry " + std::to_string(b->index.value()) +
            " was known committed";
    } else if (status == RAFT_LEADERSHIPLOST) {
      why = "leadership lost after entry " + std::to_string(b->index.value()) + " was appended";
    } else {
      why = std::string("entry ") + std::to_string(b->index.value()) +
            " failed after it was appended: " + raft_strerror(status);
    }
    const Status st = Status::OutcomeUnknown(why);
    for (Proposal& p : b->proposals) p.Complete(st);
  }
  delete b;
}

// ----------------------------------------------------------------------------
// Observation: leadership events and the status board

void Engine::Observe() {
  State state = State::kUnavailable;
  Term term;
  std::optional<LeaderInfo> leader;
  if (raft_ != nullptr) {
    state = FromRaftState(raft_state(raft_));
    term = Term(raft_->current_term);
  }
  const bool readable = raft_ != nullptr && state != State::kUnavailable;

  events_.clear();
  tracker_.Observe(state == State::kLeader, term, &events_);
  is_leader_.store(state == State::kLeader, std::memory_order_release);

  {
    std::lock_guard<std::mutex> lock(board_mu_);
    info_.state = state;
    info_.term = term;
    if (readable) {
      raft_id id = 0;
      const char* address = nullptr;
      raft_leader(raft_, &id, &address);
      if (id == 0 || address == nullptr) {
        info_.leader.reset();
      } else if (!info_.leader || info_.leader->id.value() != id ||
                 info_.leader->address != address) {
        info_.leader = LeaderInfo{RaftId(id), address};
      }
      info_.last_index = LogIndex(raft_last_index(raft_));
      info_.commit_index = LogIndex(raft_->commit_index);
      info_.last_applied = LogIndex(raft_last_applied(raft_));
      info_.snapshot_index = LogIndex(raft_->log.snapshot.last_index);

      // The configuration rarely changes: compare before copying.
      const struct raft_configuration& c = raft_->configuration;
      bool same = configuration_.size() == c.n;
      for (unsigned i = 0; same && i < c.n; ++i) {
        const Server& s = configuration_[i];
        same = s.id.value() == c.servers[i].id && s.role == FromRaftRole(c.servers[i].role) &&
               s.address == c.servers[i].address;
      }
      if (!same) {
        configuration_.clear();
        for (unsigned i = 0; i < c.n; ++i) {
          configuration_.push_back(Server{RaftId(c.servers[i].id), c.servers[i].address,
                                          FromRaftRole(c.servers[i].role)});
        }
      }
    } else {
      info_.leader.reset();
    }
  }

  for (const LeadershipEvent& e : events_) {
    logging::Get("raft")->info("leadership {} in term {}",
                               e.kind == LeadershipEvent::Kind::kGained ? "gained" : "lost",
                               e.term.value());
  }
  listeners_->Publish(events_);
}

void Engine::AddListenerOnLoop(std::uint64_t handle) {
  std::optional<LeadershipEvent> initial;
  if (auto t = tracker_.leading_term())
    initial = LeadershipEvent{LeadershipEvent::Kind::kGained, *t};
  listeners_->Activate(handle, initial);
}

NodeInfo Engine::Info() const {
  std::lock_guard<std::mutex> lock(board_mu_);
  return info_;
}

std::vector<Server> Engine::Configuration() const {
  std::lock_guard<std::mutex> lock(board_mu_);
  return configuration_;
}

std::optional<LeaderInfo> Engine::leader() const {
  std::lock_guard<std::mutex> lock(board_mu_);
  return info_.leader;
}

// ----------------------------------------------------------------------------
// Shutdown

void Engine::BeginShutdown() {
  shutting_down_ = true;
  if (guard_) guard_->set_closing(true);
  Pump();      // fails what is queued (kCancelled, or kUnavailable after a fatal error)
  RunTasks();  // each task sees shutting_down_ and fails its promise
}

void Engine::FinishShutdown() {
  RunTasks();
  Pump();
  CKRON_CHECK_MSG(inflight_.empty(), "libraft left proposals outstanding after close");
  CKRON_CHECK_MSG(outstanding_ops_ == 0, "libraft left requests outstanding after close");
  events_.clear();
  tracker_.Observe(false, Term(0), &events_);
  is_leader_.store(false, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(board_mu_);
    info_.state = State::kUnavailable;
    info_.leader.reset();
    configuration_.clear();
  }
  listeners_->Publish(events_);
}

}  // namespace ckron::raft::internal
