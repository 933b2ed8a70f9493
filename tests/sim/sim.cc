// The simulated cluster: the event loop, the servers and the simulated Raft
// log that joins them. Raft is kept small but honest (Raft paper §5):
//   - one leader per term; a candidate wins with a majority of reachable
//     voters whose logs are not more up to date than its own (§5.4.1), and
//     voters that heard from a leader within their election timeout refuse
//     (as libraft's pre-vote); terms are persisted, so no server votes
//     twice in a term;
//   - AppendEntries with (prev_index, prev_term) consistency checks; a
//     follower drops a conflicting suffix; a leader commits only entries of
//     its own term by counting replicas (§5.4.2), the earlier ones with them;
//   - a new leader appends a barrier and starts scheduling once it has
//     applied it (the leader loop's Barrier → EstablishLeadership);
//   - a leader that has not heard from a majority for an election timeout
//     steps down (check-quorum); until then a partitioned leader believes it
//     leads, its proposals simply never commit;
//   - proposals of a leader that loses leadership end with kOutcomeUnknown
//     (they may still commit); those of a killed server never end (the
//     process is gone).
//   - no snapshots: a restarted server replays its whole log.
#include "tests/sim/sim.h"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "dispatcher/state_jobs.h"
#include "fsm/codec.h"

namespace ckron::sim {
namespace {

// As node/server_node.h's defaults: fires go to the dispatcher this long
// before their instant, and runs due this soon are sent armed.
constexpr absl::Duration kFireLead = absl::Milliseconds(200);
constexpr absl::Duration kArmAhead = absl::Milliseconds(500);
constexpr absl::Duration kStartRecordDelay = absl::Seconds(1);  // ServerNodeOptions

// The dispatcher's Proposer on one simulated server.
class SimProposer final : public dispatcher::Proposer {
 public:
  SimProposer(Cluster* cluster, int server) : cluster_(cluster), server_(server) {}
  void Propose(absl::Time now, fsm::Command command, Done done) override {
    Server& s = cluster_->server(server_);
    if (s.leader && cluster_->InjectProposalFailure()) {
      // Raft's queue was full (raft::Node::Propose: nothing happened).
      done(Status::ResourceExhausted("too many proposals in flight"));
      return;
    }
    cluster_->Propose(s, now, std::move(command), std::move(done));
  }
  bool Leads(Term term) const override {
    const Server& s = cluster_->server(server_);
    return s.alive && s.leader && s.term == term;
  }

 private:
  Cluster* const cluster_;
  const int server_;
};

// Routes applied events as node/scheduling.cc does: job changes to the
// scheduler, everything to the dispatcher (which ignores them unless it
// runs).
class Sink final : public replica::EventSink {
 public:
  explicit Sink(Server* server) : s_(server) {}
  void OnEvents(LogIndex, const std::vector<fsm::Event>& events) override {
    for (const fsm::Event& e : events) {
      if (auto* u = std::get_if<fsm::JobUpserted>(&e); u && u->schedule_changed) {
        s_->changed.push_back(u->name);
      } else if (auto* d = std::get_if<fsm::JobDeleted>(&e)) {
        s_->changed.push_back(d->name);
      }
    }
    if (s_->dispatcher) s_->dispatcher->OnEvents(events);
  }
  void OnRestored(LogIndex) override {
    CKRON_CHECK_MSG(false, "the simulation takes no snapshots");
  }

 private:
  Server* const s_;
};

}  // namespace

// --- EventQueue ---------------------------------------------------------------

void EventQueue::At(absl::Time at, std::function<void()> fn) {
  q_.push({at, seq_++, std::move(fn)});
}

std::optional<absl::Time> EventQueue::Next() const {
  if (q_.empty()) return std::nullopt;
  return q_.top().at;
}

void EventQueue::RunDue(absl::Time now) {
  while (!q_.empty() && q_.top().at <= now) {
    std::function<void()> fn = q_.top().fn;
    q_.pop();
    fn();
  }
}

// --- Cluster --------------------------------------------------------------------

Cluster::Cluster(SimOptions options)
    : options_(std::move(options)),
      clock_(absl::FromUnixSeconds(1'767'225'600)),  // 2026-01-01T00:00:00Z
      rng_(options_.seed) {
  start_ = clock_.Now();
  fault_end_ = start_ + options_.duration;
  end_ = fault_end_ + options_.quiesce;
  next_fault_ = start_ + options_.fault_start;
  next_tick_ = start_;
  // Every server starts with the jobs in its log (term 1, not yet
  // committed): the first leader commits them with its barrier.
  std::vector<LogEntry> log;
  for (const fsm::Job& job : options_.jobs) {
    log.push_back({Term(1), false, replica::EncodeCommand(start_, fsm::PutJob{job})});
  }
  servers_.resize(static_cast<std::size_t>(options_.servers));
  for (int i = 0; i < options_.servers; ++i) {
    Server& s = server(i);
    s.id = i;
    s.name = "s" + std::to_string(i + 1);
    s.term = Term(1);
    s.log = log;
    StartProcess(s);
  }
  agents_.resize(static_cast<std::size_t>(options_.agents));
  for (int i = 0; i < options_.agents; ++i) {
    agents_[static_cast<std::size_t>(i)].name = "a" + std::to_string(i + 1);
  }
}

Cluster::~Cluster() {
  for (Server& s : servers_) {
    s.waiting.clear();
    s.scheduler.reset();
    s.dispatcher.reset();
  }
}

void Cluster::Trace(const std::string& line) {
  const std::string t = absl::FormatDuration(now() - start_);
  std::string full = absl::StrCat("[", t, "] ", line);
  if (options_.trace_sink) options_.trace_sink(full);
  trace_.push_back(std::move(full));
  if (trace_.size() > 400) trace_.pop_front();
}

std::string Cluster::RecentTrace() const {
  std::string out;
  for (const std::string& l : trace_) absl::StrAppend(&out, "  ", l, "\n");
  return out;
}

bool Cluster::InjectProposalFailure() {
  return std::uniform_real_distribution<double>(0, 1)(rng_) < options_.proposal_failure;
}

bool Cluster::Reachable(const std::string& a, const std::string& b) const {
  auto side = [&](const std::string& n) {
    auto it = side_.find(n);
    return it == side_.end() ? 0 : it->second;
  };
  return side(a) == side(b);
}

void Cluster::Send(const std::string& from, const std::string& to, std::function<void()> deliver,
                   std::function<void()> lost, std::optional<absl::Duration> delay) {
  // 5 to 20 ms in 5 ms steps: messages meet at few instants, so the
  // simulation takes fewer steps for the same traffic.
  const absl::Duration d =
      delay.value_or(absl::Milliseconds(5 * std::uniform_int_distribution<int>(1, 4)(rng_)));
  const bool dropped = std::uniform_real_distribution<double>(0, 1)(rng_) < loss_;
  if (dropped || !Reachable(from, to)) {
    if (lost) events_.At(now() + d, std::move(lost));
    return;
  }
  events_.At(now() + d, [this, from, to, deliver = std::move(deliver), lost = std::move(lost)] {
    if (Reachable(from, to)) {
      deliver();
    } else if (lost) {
      lost();
    }
  });
}

Agent* Cluster::FindAgent(const std::string& name) {
  for (Agent& a : agents_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<dispatcher::Candidate> Cluster::AliveAgents() const {
  // Gossip notices a dead agent after a few seconds.
  std::vector<dispatcher::Candidate> out;
  for (const Agent& a : agents_) {
    if (!a.alive && now() - a.died > absl::Seconds(3)) continue;
    out.push_back({a.name, {{"region", "global"}, {"pool", "p"}, {"rpc_addr", "agent:" + a.name}}});
  }
  return out;
}

// --- Servers --------------------------------------------------------------------

namespace {
class SimMembers final : public dispatcher::MemberView {
 public:
  explicit SimMembers(const Cluster* c) : c_(c) {}
  std::vector<dispatcher::Candidate> Alive(const std::string&) const override {
    return c_->AliveAgents();
  }

 private:
  const Cluster* const c_;
};
}  // namespace

void Cluster::StartProcess(Server& s) {
  ++s.incarnation;
  s.alive = true;
  s.leader = false;
  s.leader_hint = -1;
  s.commit = 0;
  s.applied = 0;
  s.checked = 0;
  s.last_heard = now();
  s.leader_contact = absl::InfinitePast();
  s.election_timeout = absl::Milliseconds(1000 + std::uniform_int_distribution<int>(0, 1000)(rng_));
  const auto n = static_cast<std::size_t>(options_.servers);
  s.next.assign(n, 1);
  s.match.assign(n, 0);
  s.acked.assign(n, now());
  s.waiting.clear();
  s.barrier_index = 0;
  s.established = false;
  s.changed.clear();
  s.store = std::make_unique<fsm::MemoryExecutionStore>();
  s.state = std::make_unique<replica::ReplicatedState>(s.store.get());
  s.sink = std::make_unique<Sink>(&s);
  s.state->AddSink(s.sink.get());
  s.jobs = std::make_unique<dispatcher::StateJobs>(s.state.get());
  s.proposer = std::make_unique<SimProposer>(this, s.id);
  s.members = std::make_unique<SimMembers>(this);
  dispatcher::DispatcherOptions o;
  o.region = "global";
  o.seed = rng_();
  o.threaded = false;
  o.arm_ahead = kArmAhead;
  // Odd seeds record starts at once, even ones after the production delay
  // (most short runs then never have a running record).
  o.start_record_delay = options_.seed % 2 == 0 ? kStartRecordDelay : absl::ZeroDuration();
  const int id = s.id;
  s.dispatcher = std::make_unique<dispatcher::Dispatcher>(
      o, s.state.get(), s.proposer.get(), s.members.get(), &clock_,
      [this, id](dispatcher::RunObserver* observer) { return NewTransport(id, observer); });
}

void Cluster::KillServer(Server& s) {
  Trace(s.name + " killed" +
        (s.leader ? " (leader of term " + std::to_string(s.term.value()) + ")" : ""));
  if (s.leader) oracle_.OnTermEnded(s.term, now());
  s.waiting.clear();  // the process is gone: nobody waits for these
  s.scheduler.reset();
  s.dispatcher.reset();
  s.members.reset();
  s.proposer.reset();
  s.jobs.reset();
  s.state.reset();
  s.sink.reset();
  s.store.reset();
  s.alive = false;
  s.leader = false;
  s.established = false;
}

int Cluster::Majority() const {
  return options_.servers / 2 + 1;
}

void Cluster::StepServer(Server& s, bool tick) {
  if (tick) {
    if (s.leader) {
      int heard = 1;
      for (const Server& o : servers_) {
        if (o.id != s.id && s.acked[static_cast<std::size_t>(o.id)] >= now() - s.election_timeout) {
          ++heard;
        }
      }
      if (heard < Majority()) {
        Trace(s.name + " steps down: no majority heard for an election timeout");
        StepDown(s, s.term);
      } else {
        SendAppends(s);
      }
    } else if (now() - s.last_heard > s.election_timeout) {
      Campaign(s);
    }
  }
  ApplyCommitted(s);
  if (s.established && s.alive) {
    StepScheduling(s);
    if (s.dispatcher) s.dispatcher->Step();
  }
}

void Cluster::Campaign(Server& c) {
  auto up_to_date = [](const Server& cand, const Server& voter) {  // Raft §5.4.1
    const Term ct = cand.log.empty() ? Term(0) : cand.log.back().term;
    const Term vt = voter.log.empty() ? Term(0) : voter.log.back().term;
    return ct != vt ? ct > vt : cand.log.size() >= voter.log.size();
  };
  std::vector<int> voters{c.id};
  Term top = c.term;
  for (Server& v : servers_) {
    if (v.id == c.id || !v.alive || !Reachable(c.name, v.name)) continue;
    // Pre-vote: a voter that hears from a leader refuses.
    if (v.leader || now() - v.leader_contact < v.election_timeout) continue;
    if (!up_to_date(c, v)) continue;
    voters.push_back(v.id);
    top = std::max(top, v.term);
  }
  c.last_heard = now();
  c.election_timeout = absl::Milliseconds(1000 + std::uniform_int_distribution<int>(0, 1000)(rng_));
  if (static_cast<int>(voters.size()) < Majority()) return;
  const Term term(top.value() + 1);
  for (int v : voters) {
    Server& voter = server(v);
    voter.term = term;  // persisted before voting
    voter.last_heard = now();
    voter.leader_hint = c.id;
  }
  c.leader = true;
  c.leader_hint = c.id;
  oracle_.OnElected(term, c.id, now());
  c.log.push_back({term, true, ""});
  c.barrier_index = c.log.size();
  for (Server& o : servers_) {
    c.next[static_cast<std::size_t>(o.id)] = c.barrier_index;
    c.match[static_cast<std::size_t>(o.id)] = 0;
    c.acked[static_cast<std::size_t>(o.id)] = now();
  }
  Trace(c.name + " elected leader of term " + std::to_string(term.value()) + " by " +
        std::to_string(voters.size()) + " votes");
  SendAppends(c);
}

void Cluster::StepDown(Server& s, Term term) {
  if (s.leader) {
    oracle_.OnTermEnded(s.term, now());
    s.leader = false;
    s.leader_hint = -1;
    // Raft ends the waiting proposals; they may still commit.
    auto waiting = std::move(s.waiting);
    s.waiting.clear();
    for (auto& [index, done] : waiting) done(Status::OutcomeUnknown("leadership lost"));
    Revoke(s);
  }
  s.term = std::max(s.term, term);
  s.last_heard = now();
}

void Cluster::SendAppends(Server& l) {
  for (Server& f : servers_) {
    if (f.id == l.id) continue;
    const std::uint64_t prev = l.next[static_cast<std::size_t>(f.id)] - 1;
    const Term prev_term = prev == 0 ? Term(0) : l.log[prev - 1].term;
    const std::size_t last = std::min<std::size_t>(l.log.size(), prev + 256);
    std::vector<LogEntry> entries(l.log.begin() + static_cast<std::ptrdiff_t>(prev),
                                  l.log.begin() + static_cast<std::ptrdiff_t>(last));
    Send(l.name, f.name,
         [this, to = f.id, from = l.id, term = l.term, prev, prev_term,
          entries = std::move(entries), commit = l.commit]() mutable {
           OnAppend(server(to), from, term, prev, prev_term, std::move(entries), commit);
         });
  }
}

void Cluster::OnAppend(Server& s, int from, Term term, std::uint64_t prev_index, Term prev_term,
                       std::vector<LogEntry> entries, std::uint64_t leader_commit) {
  if (!s.alive) return;
  auto reply = [&](bool ok, std::uint64_t index) {
    Send(s.name, server(from).name, [this, to = from, me = s.id, t = s.term, ok, index] {
      OnAppendReply(server(to), me, t, ok, index);
    });
  };
  if (term < s.term) return reply(false, 0);
  if (term > s.term || s.leader) StepDown(s, term);
  s.term = term;
  s.last_heard = now();
  s.leader_contact = now();
  s.leader_hint = from;
  if (prev_index > s.log.size()) return reply(false, s.log.size() + 1);
  if (prev_index > 0 && s.log[prev_index - 1].term != prev_term) return reply(false, prev_index);
  std::uint64_t index = prev_index;
  for (LogEntry& e : entries) {
    ++index;
    if (index <= s.log.size()) {
      if (s.log[index - 1].term == e.term) continue;
      for (std::uint64_t d = index; d <= s.log.size(); ++d) {
        if (oracle_.CommittedTerm(d) == s.log[d - 1].term || d <= s.applied) {
          oracle_.OnTruncate(s.id, d);
        }
      }
      s.log.resize(index - 1);
    }
    s.log.push_back(std::move(e));
  }
  s.commit = std::max(s.commit, std::min(leader_commit, index));
  reply(true, index);
}

void Cluster::OnAppendReply(Server& l, int from, Term term, bool ok, std::uint64_t index) {
  if (!l.alive) return;
  if (term > l.term) {
    if (l.leader) Trace(l.name + " steps down: saw term " + std::to_string(term.value()));
    StepDown(l, term);
    return;
  }
  if (!l.leader || term != l.term) return;
  const auto f = static_cast<std::size_t>(from);
  l.acked[f] = now();
  if (ok) {
    l.match[f] = std::max(l.match[f], index);
    l.next[f] = l.match[f] + 1;
    AdvanceCommit(l);
  } else if (index > 0) {
    l.next[f] = std::max<std::uint64_t>(1, std::min(l.next[f], index));
  }
}

void Cluster::AdvanceCommit(Server& l) {
  for (std::uint64_t n = l.log.size(); n > l.commit; --n) {
    if (l.log[n - 1].term != l.term) break;  // Raft §5.4.2: count only our term's entries
    int replicas = 1;
    for (const Server& o : servers_) {
      if (o.id != l.id && l.match[static_cast<std::size_t>(o.id)] >= n) ++replicas;
    }
    if (replicas < Majority()) continue;
    for (std::uint64_t i = l.commit + 1; i <= n; ++i) {
      oracle_.OnCommitted(i, l.log[i - 1].term, l.log[i - 1].barrier);
    }
    l.commit = n;
    return;
  }
}

void Cluster::ApplyCommitted(Server& s) {
  while (s.alive && s.applied < s.commit) {
    const std::uint64_t index = ++s.applied;
    // Copies: what runs below may append to the log.
    const Term term = s.log[index - 1].term;
    if (s.log[index - 1].barrier) {
      oracle_.OnApply(s.id, index, term, "", "", now());
      if (s.leader && index == s.barrier_index && term == s.term) Establish(s);
      continue;
    }
    const std::string data = s.log[index - 1].data;
    raft::ApplyOutput out = s.state->Apply(raft::ApplyContext{LogIndex(index), term, 0, 1}, data);
    // Encoded, so that the oracle compares every server's outcome byte for byte.
    const std::string outcome = replica::EncodedOutcomeOf(
        raft::Applied{LogIndex(index), std::move(out.bytes), std::move(out.object)});
    oracle_.OnApply(s.id, index, term, data, outcome, now());
    if (auto w = s.waiting.find(index); w != s.waiting.end()) {
      auto done = std::move(w->second);
      s.waiting.erase(w);
      done(fsm::DecodeOutcome(outcome).status);
    }
  }
}

void Cluster::Propose(Server& s, absl::Time at, fsm::Command command,
                      dispatcher::Proposer::Done done) {
  if (!s.alive || !s.leader) {
    done(Status::NotLeader("", "not leader"));
    return;
  }
  s.log.push_back({s.term, false, replica::EncodeCommand(at, std::move(command))});
  s.waiting[s.log.size()] = std::move(done);
}

// --- Leadership: the leader loop and node/scheduling.cc, stepped ------------------

void Cluster::Establish(Server& s) {
  s.established = true;
  s.changed.clear();
  Trace(s.name + " establishes leadership of term " + std::to_string(s.term.value()));
  s.dispatcher->Start(s.term);
  s.scheduler = std::make_unique<scheduler::Scheduler>(s.jobs.get());
  s.gate = std::make_unique<scheduler::AheadGate>(s.jobs.get());
  std::vector<scheduler::FireIntent> catch_up = s.scheduler->Load(now());
  s.state->Read([&](const fsm::State& st) { oracle_.OnLoad(s.term, now(), st, catch_up); });
  for (const auto& f : catch_up) {
    Trace("  catch-up " + f.job_name + " @" + absl::FormatDuration(f.scheduled - start_));
  }
  if (!catch_up.empty()) s.dispatcher->OnFires(std::move(catch_up));
}

void Cluster::Revoke(Server& s) {
  if (!s.established) return;
  s.established = false;
  s.scheduler.reset();
  s.gate.reset();
  s.changed.clear();
  if (s.dispatcher) s.dispatcher->Stop();
  Trace(s.name + " revokes leadership");
}

void Cluster::StepScheduling(Server& s) {
  // The threaded OnFires would block the scheduler until the batch is
  // applied; stepped, the scheduler waits here instead.
  if (s.dispatcher->FiresInFlight()) return;
  for (const std::string& name : s.changed) s.scheduler->Refresh(name, now());
  s.changed.clear();
  // Ahead of the instant, as the threaded loop (scheduler_loop.h).
  std::vector<scheduler::FireIntent> due =
      s.gate->Admit(s.scheduler->PopDue(now() + kFireLead, 1024), now());
  if (due.empty()) return;
  std::string line = s.name + " fires";
  for (const auto& f : due)
    absl::StrAppend(&line, " ", f.job_name, "@", absl::FormatDuration(f.scheduled - start_));
  Trace(line);
  s.dispatcher->OnFires(std::move(due));
  if (kill_mid_batch_ && s.dispatcher->FiresInFlight()) {
    kill_mid_batch_ = false;
    KillServer(s);
    events_.At(now() + absl::Seconds(5), [this, id = s.id] { Restart(id); });
  }
}

int Cluster::CurrentLeader() const {
  int best = -1;
  for (const Server& s : servers_) {
    if (s.alive && s.leader &&
        (best < 0 || s.term > servers_[static_cast<std::size_t>(best)].term)) {
      best = s.id;
    }
  }
  return best;
}

void Cluster::Restart(int id) {
  Server& s = server(id);
  if (s.alive) return;
  StartProcess(s);
  Trace(s.name + " restarts");
}

// --- The run ----------------------------------------------------------------------

bool Cluster::Run() {
  Trace("seed " + std::to_string(options_.seed));
  loss_ = options_.loss;
  bool healed = false;
  while (now() < end_ && !oracle_.failed()) {
    absl::Time next = std::max(now(), std::min(next_tick_, events_.Next().value_or(next_tick_)));
    clock_.Set(next);
    events_.RunDue(next);
    const bool tick = now() >= next_tick_;
    if (tick) next_tick_ = now() + options_.tick;
    if (tick && options_.faults && now() >= next_fault_ && now() < fault_end_) {
      Nemesis();
      const double mean = absl::ToDoubleSeconds(options_.mean_fault_gap);
      next_fault_ = now() + absl::Seconds(std::exponential_distribution<double>(1 / mean)(rng_));
    }
    if (!healed && now() >= fault_end_) {
      healed = true;
      Heal();
    }
    for (Server& s : servers_) {
      if (s.alive) StepServer(s, tick);
    }
    if (tick) {
      for (Agent& a : agents_) StepAgent(a);
    }
    for (Server& s : servers_) {  // only Apply changes a state
      if (!s.alive || s.checked == s.applied) continue;
      s.checked = s.applied;
      s.state->Read([&](const fsm::State& st) { oracle_.CheckState(s.name, st); });
    }
    ++steps_;
  }
  if (oracle_.failed()) return false;
  const int l = CurrentLeader();
  if (l < 0 || !server(l).established) {
    oracle_.Fail("no established leader at the end of the calm period");
    return false;
  }
  Server& leader = server(l);
  // Results of the last seconds may still be on their way.
  const absl::Time report_cutoff = end_ - absl::Seconds(30);
  std::size_t undelivered = 0;
  for (const Agent& a : agents_) {
    if (!a.alive) continue;
    for (const fsm::Execution& e : a.outbox) undelivered += *e.finished_at <= report_cutoff;
  }
  leader.state->Read([&](const fsm::State& st) {
    oracle_.CheckEnd(st, end_ - absl::Seconds(10), end_ - absl::Seconds(90), report_cutoff,
                     undelivered);
    for (const Server& s : servers_) {
      if (s.alive && s.id != l && s.applied == leader.applied) {
        s.state->Read([&](const fsm::State& other) {
          if (!other.SameReplicatedMemory(st))
            oracle_.Fail(s.name + "'s state differs from the leader's");
        });
      }
    }
  });
  return !oracle_.failed();
}

}  // namespace ckron::sim
