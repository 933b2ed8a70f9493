// Engine control operations: barrier, membership changes, leadership
// transfer. Split from engine.cc by concern; see engine.h for the contract.
#include <utility>

#include "common/check.h"
#include "common/log.h"
#include "raft/engine.h"

namespace ckron::raft::internal {

struct Engine::BarrierOp {
  struct raft_barrier req;
  Engine* engine;
  std::function<void(Status)> then;  // runs on the loop thread, once
};

struct Engine::ChangeOp {
  struct raft_change req;
  Engine* engine;
  RaftId id;
  std::promise<Status> done;
};

struct Engine::TransferOp {
  struct raft_transfer req;
  Engine* engine;
  std::promise<Status> done;
};

namespace {

const struct raft_server* Find(const ::raft* r, RaftId id) {
  for (unsigned i = 0; i < r->configuration.n; ++i) {
    if (r->configuration.servers[i].id == id.value()) return &r->configuration.servers[i];
  }
  return nullptr;
}

const struct raft_server* FindByAddress(const ::raft* r, const std::string& address) {
  for (unsigned i = 0; i < r->configuration.n; ++i) {
    if (address == r->configuration.servers[i].address) return &r->configuration.servers[i];
  }
  return nullptr;
}

}  // namespace

Status Engine::LeaderPrecheck() const {
  if (!fatal_.ok()) return Status::Unavailable("raft node failed: " + fatal_.message());
  if (shutting_down_) return Status::Cancelled("raft node stopping");
  if (raft_ == nullptr || raft_state(raft_) != RAFT_LEADER || raft_->transfer != nullptr) {
    return NotLeaderStatus();
  }
  return OkStatus();
}

// What a membership change's callback status means for the caller.
Status Engine::ChangeStatus(int status, std::string_view what) const {
  if (status == 0) return OkStatus();
  if (status == RAFT_LEADERSHIPLOST) {
    return Status::OutcomeUnknown(std::string(what) +
                                  ": leadership lost before the change was known committed");
  }
  if (status == RAFT_NOCONNECTION) {
    return Status::Unavailable(std::string(what) +
                               ": the server did not catch up with the log in time; it "
                               "stays a non-voter (retry, or remove it)");
  }
  return MapRaftError(status, what);
}

// ----------------------------------------------------------------------------
// Barrier

void Engine::Barrier(std::promise<Status> done) {
  auto p = std::make_shared<std::promise<Status>>(std::move(done));
  BarrierThen([p](Status st) { p->set_value(std::move(st)); });
}

void Engine::BarrierThen(std::function<void(Status)> then) {
  if (Status st = LeaderPrecheck(); !st.ok()) return then(st);
  auto* op = new BarrierOp{{}, this, std::move(then)};
  op->req.data = op;
  const int rv = raft_barrier(raft_, &op->req, &Engine::BarrierDone);
  if (rv != 0) {
    std::function<void(Status)> t = std::move(op->then);
    delete op;
    t(MapRaftError(rv, "barrier"));
    return;
  }
  ++outstanding_ops_;
}

void Engine::BarrierDone(struct raft_barrier* req, int status) {
  auto* op = static_cast<BarrierOp*>(req->data);
  Engine* e = op->engine;
  --e->outstanding_ops_;
  Status st;
  if (status == 0) {
    st = OkStatus();
  } else if (e->shutting_down_) {
    st = Status::Cancelled("raft node stopping");
  } else if (status == RAFT_LEADERSHIPLOST) {
    st = Status::NotLeader("", "leadership lost during the barrier");
  } else {
    st = e->MapRaftError(status, "barrier");
  }
  std::function<void(Status)> then = std::move(op->then);
  delete op;
  then(std::move(st));
}

bool Engine::ConfigurationPendingCommit() const {
  // A new leader cannot change the configuration while the latest one is not
  // known committed in its term (libraft appends no entry on election), and
  // libraft then answers RAFT_CANTCHANGE. A barrier commits it.
  return raft_->configuration_uncommitted_index != 0 && raft_->leader_state.change == nullptr &&
         raft_->leader_state.promotee_id == 0;
}

void Engine::AfterConfigurationCommitted(std::promise<Status> done,
                                         std::function<void(std::promise<Status>)> next) {
  auto p = std::make_shared<std::promise<Status>>(std::move(done));
  BarrierThen([this, p, next = std::move(next)](Status st) {
    if (!st.ok()) return p->set_value(std::move(st));
    // From the next loop iteration, not from inside libraft's apply path.
    tasks_.push_back([p, next] { next(std::move(*p)); });
  });
}

// ----------------------------------------------------------------------------
// AddVoter: raft_add (as spare) -> raft_assign(VOTER) with catch-up rounds

void Engine::AddVoter(RaftId id, std::string address, std::promise<Status> done) {
  if (Status st = LeaderPrecheck(); !st.ok()) return done.set_value(st);
  if (ConfigurationPendingCommit()) {
    return AfterConfigurationCommitted(
        std::move(done),
        [this, id, address](std::promise<Status> p) { AddVoter(id, address, std::move(p)); });
  }
  if (id.value() == 0) return done.set_value(Status::InvalidArgument("raft id 0 is reserved"));
  const struct raft_server* existing = Find(raft_, id);
  if (existing != nullptr && address != existing->address) {
    return done.set_value(Status::AlreadyExists("raft id " + std::to_string(id.value()) +
                                                " belongs to the server at " + existing->address));
  }
  if (existing == nullptr) {
    if (const auto* other = FindByAddress(raft_, address)) {
      return done.set_value(Status::AlreadyExists("address " + address + " belongs to raft id " +
                                                  std::to_string(other->id)));
    }
  }
  if (existing != nullptr && existing->role == RAFT_VOTER) return done.set_value(OkStatus());

  auto* op = new ChangeOp{{}, this, id, std::move(done)};
  op->req.data = op;
  int rv;
  if (existing == nullptr) {
    rv = raft_add(raft_, &op->req, id.value(), address.c_str(), &Engine::AddDone);
  } else {
    // Already a spare or standby (e.g. an earlier AddVoter whose promotion
    // failed): only promote.
    rv = raft_assign(raft_, &op->req, id.value(), RAFT_VOTER, &Engine::AssignDone);
  }
  if (rv != 0) {
    op->done.set_value(MapRaftError(rv, "add voter"));
    delete op;
    return;
  }
  ++outstanding_ops_;
  logging::Get("raft")->info("adding raft server {} at {}", id.value(), address);
}

void Engine::AddDone(struct raft_change* req, int status) {
  auto* op = static_cast<ChangeOp*>(req->data);
  Engine* e = op->engine;
  if (status != 0) {
    --e->outstanding_ops_;
    op->done.set_value(e->ChangeStatus(status, "add voter"));
    delete op;
    return;
  }
  // Promote from the next loop iteration, not from inside libraft's apply
  // path (the change request is free again: applyChange cleared it).
  e->tasks_.push_back([e, op] {
    const auto fail = [&](const Status& st) {
      --e->outstanding_ops_;
      op->done.set_value(st);
      delete op;
    };
    if (e->shutting_down_) {
      return fail(Status::OutcomeUnknown("raft node stopping: server " +
                                         std::to_string(op->id.value()) +
                                         " was added as spare but not promoted"));
    }
    if (Status st = e->LeaderPrecheck(); !st.ok()) return fail(st);
    const int rv = raft_assign(e->raft_, &op->req, op->id.value(), RAFT_VOTER, &Engine::AssignDone);
    if (rv != 0) fail(e->MapRaftError(rv, "promote to voter"));
  });
}

void Engine::AssignDone(struct raft_change* req, int status) {
  auto* op = static_cast<ChangeOp*>(req->data);
  Engine* e = op->engine;
  --e->outstanding_ops_;
  if (status == 0) {
    logging::Get("raft")->info("raft server {} is a voter", op->id.value());
  } else {
    logging::Get("raft")->warn("promoting raft server {} failed: {}", op->id.value(),
                               raft_strerror(status));
  }
  op->done.set_value(e->ChangeStatus(status, "promote to voter"));
  delete op;
}

// ----------------------------------------------------------------------------
// RemoveServer

void Engine::RemoveServer(RaftId id, std::promise<Status> done) {
  if (Status st = LeaderPrecheck(); !st.ok()) return done.set_value(st);
  if (ConfigurationPendingCommit()) {
    return AfterConfigurationCommitted(
        std::move(done), [this, id](std::promise<Status> p) { RemoveServer(id, std::move(p)); });
  }
  if (Find(raft_, id) == nullptr) {
    return done.set_value(
        Status::NotFound("raft id " + std::to_string(id.value()) + " is not a member"));
  }
  auto* op = new ChangeOp{{}, this, id, std::move(done)};
  op->req.data = op;
  const int rv = raft_remove(raft_, &op->req, id.value(), &Engine::RemoveDone);
  if (rv != 0) {
    op->done.set_value(MapRaftError(rv, "remove server"));
    delete op;
    return;
  }
  ++outstanding_ops_;
  logging::Get("raft")->info("removing raft server {}", id.value());
}

void Engine::RemoveDone(struct raft_change* req, int status) {
  auto* op = static_cast<ChangeOp*>(req->data);
  Engine* e = op->engine;
  --e->outstanding_ops_;
  op->done.set_value(e->ChangeStatus(status, "remove server"));
  delete op;
}

// ----------------------------------------------------------------------------
// TransferLeadership

void Engine::TransferLeadership(std::optional<RaftId> target, std::promise<Status> done) {
  if (Status st = LeaderPrecheck(); !st.ok()) return done.set_value(st);
  if (target) {
    if (target->value() == raft_->id) return done.set_value(OkStatus());  // already leads
    const auto* s = Find(raft_, *target);
    if (s == nullptr || s->role != RAFT_VOTER) {
      return done.set_value(
          Status::NotFound("raft id " + std::to_string(target->value()) + " is not a voter"));
    }
  }
  auto* op = new TransferOp{{}, this, std::move(done)};
  op->req.data = op;
  const int rv =
      raft_transfer(raft_, &op->req, target ? target->value() : 0, &Engine::TransferDone);
  if (rv != 0) {
    op->done.set_value(MapRaftError(rv, "transfer leadership"));
    delete op;
    return;
  }
  ++outstanding_ops_;
}

void Engine::TransferDone(struct raft_transfer* req) {
  auto* op = static_cast<TransferOp*>(req->data);
  Engine* e = op->engine;
  --e->outstanding_ops_;
  raft_id leader = 0;
  const char* address = nullptr;
  raft_leader(e->raft_, &leader, &address);
  if (leader != 0 && leader == req->id && leader != e->raft_->id) {
    op->done.set_value(OkStatus());
  } else if (e->shutting_down_) {
    op->done.set_value(Status::Cancelled("raft node stopping"));
  } else {
    op->done.set_value(Status::Timeout("no leadership transfer to raft id " +
                                       std::to_string(req->id) + " within an election timeout"));
  }
  delete op;
}

}  // namespace ckron::raft::internal
