// The simulated agents and the network between them and the servers: the
// dispatcher's AgentTransport over simulated messages, the fake agents (run
// table, executor, reporter), the servers' Executions service (Report,
// RenewLeases), and the nemesis.
#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "fsm/codec.h"
#include "tests/sim/sim.h"

namespace ckron::sim {
namespace {

constexpr absl::Duration kStreamDelay = absl::Milliseconds(5);  // fixed: streams stay ordered
constexpr absl::Duration kLease = absl::Seconds(30);            // DispatcherOptions / reporter
constexpr absl::Duration kCallTimeout = absl::Seconds(10);      // ReporterOptions::call_timeout

std::string AgentOf(const std::string& rpc_addr) {
  constexpr std::string_view kPrefix = "agent:";
  return rpc_addr.substr(kPrefix.size());
}

int ConfigInt(const fsm::Job& job, const std::string& key, int fallback) {
  auto it = job.executor_config.find(key);
  int v;
  if (it == job.executor_config.end() || !absl::SimpleAtoi(it->second, &v)) return fallback;
  return v;
}

}  // namespace

// --- The dispatcher's transport -------------------------------------------------

// One per dispatcher (server process). Streams are identified by
// (transport id, stream id); a killed server's transport is unregistered,
// so late messages to it vanish as they would with its process.
class Cluster::Transport final : public dispatcher::AgentTransport {
 public:
  Transport(Cluster* c, int server, dispatcher::RunObserver* observer)
      : c_(c), server_(server), observer_(observer), id_(c->RegisterTransport(this)) {}
  ~Transport() override {
    CancelAllAndWait();
    c_->UnregisterTransport(id_);
  }

  std::uint64_t Run(const std::string& rpc_addr, const ckron::v1::RunRequest& request,
                    const fsm::RunKey& key) override {
    const std::uint64_t stream = next_stream_++;
    streams_[stream] = key;
    const Server& s = c_->server(server_);
    // Fencing (brief: a deposed leader cannot dispatch): only a server that
    // believes it leads the request's term may send.
    if (!s.alive || !s.leader || s.term.value() != request.term()) {
      c_->oracle().Fail(s.name + " sent Run for term " + std::to_string(request.term()) +
                        " while not leading it");
    }
    const std::string agent = AgentOf(rpc_addr);
    c_->Trace(absl::StrCat(s.name, " -> ", agent, " Run ", key.job_name, " ",
                           request.execution_id(), " attempt ", key.attempt));
    // Not arriving: a refused connection fails the stream, a silent drop
    // leaves it hanging until the dispatcher's start deadline cancels it.
    const bool hang = std::uniform_int_distribution<int>(0, 1)(c_->rng()) == 0;
    std::function<void()> lost;
    if (!hang) {
      lost = [c = c_, id = id_, stream] {
        if (Transport* t = c->FindTransport(id))
          t->Close(stream, Status::Unavailable("connection refused"));
      };
    }
    c_->Send(
        s.name, agent,
        [c = c_, id = id_, stream, request, agent, from = s.name] {
          c->AgentReceiveRun(agent, id, stream, request, from);
        },
        std::move(lost));
    return stream;
  }

  void CancelStream(std::uint64_t stream) override {
    Close(stream, Status::Cancelled("cancelled"));
  }

  void CancelExecution(const std::string& rpc_addr, const std::string& job_name,
                       const std::string& execution_id, absl::Duration) override {
    const std::string agent = AgentOf(rpc_addr);
    c_->Send(c_->server(server_).name, agent, [c = c_, agent, job_name, execution_id] {
      c->AgentCancel(agent, job_name, execution_id);
    });
  }

  void CancelAllAndWait() override {
    while (!streams_.empty()) Close(streams_.begin()->first, Status::Cancelled("cancelled"));
  }

  // From the agent, in stream order.
  void Started(std::uint64_t stream, absl::Time at, bool duplicate) {
    if (auto it = streams_.find(stream); it != streams_.end()) {
      observer_->OnRunStarted(it->second, at, duplicate);
    }
  }
  void Finished(std::uint64_t stream, const fsm::Execution& e) {
    if (auto it = streams_.find(stream); it != streams_.end())
      observer_->OnRunFinished(it->second, e);
  }
  void Close(std::uint64_t stream, Status status) {
    auto it = streams_.find(stream);
    if (it == streams_.end()) return;
    const fsm::RunKey key = it->second;
    streams_.erase(it);
    observer_->OnRunClosed(key, stream, std::move(status));
  }

 private:
  Cluster* const c_;
  const int server_;
  dispatcher::RunObserver* const observer_;
  const std::uint64_t id_;
  std::uint64_t next_stream_ = 1;
  std::map<std::uint64_t, fsm::RunKey> streams_;  // open streams
};

std::unique_ptr<dispatcher::AgentTransport> Cluster::NewTransport(
    int server, dispatcher::RunObserver* observer) {
  return std::make_unique<Transport>(this, server, observer);
}

std::uint64_t Cluster::RegisterTransport(Transport* t) {
  const std::uint64_t id = next_transport_++;
  transports_[id] = t;
  return id;
}

void Cluster::UnregisterTransport(std::uint64_t id) {
  transports_.erase(id);
}

Cluster::Transport* Cluster::FindTransport(std::uint64_t id) {
  auto it = transports_.find(id);
  return it == transports_.end() ? nullptr : it->second;
}

// --- Agents: run table and fake executor ---------------------------------------

namespace {
// Sends one stream event back; a lost one breaks the stream.
void StreamSend(Cluster* c, const std::string& agent, const std::string& server, std::uint64_t tid,
                std::uint64_t stream, std::function<void(Cluster::Transport*)> event) {
  c->Send(
      agent, server,
      [c, tid, event = std::move(event)] {
        if (Cluster::Transport* t = c->FindTransport(tid)) event(t);
      },
      [c, tid, stream] {
        if (Cluster::Transport* t = c->FindTransport(tid)) {
          t->Close(stream, Status::Unavailable("stream broken"));
        }
      },
      kStreamDelay);
}
}  // namespace

void Cluster::AgentReceiveRun(const std::string& agent, std::uint64_t tid, std::uint64_t stream,
                              const ckron::v1::RunRequest& request, const std::string& from) {
  Agent* a = FindAgent(agent);
  if (a == nullptr || !a->alive) return;  // a dead host: no answer at all
  auto job = fsm::DecodeJob(request.job().SerializeAsString());
  if (!job.ok()) {
    oracle_.Fail("undecodable job in a Run request");
    return;
  }
  const auto key = std::make_pair(job->name, request.execution_id());
  auto it = a->runs.find(key);
  if (it != a->runs.end()) {  // a duplicate: attach, or replay the result
    Agent::Run& r = it->second;
    const absl::Time started = r.execution.started_at;
    StreamSend(this, agent, from, tid, stream,
               [stream, started](Transport* t) { t->Started(stream, started, true); });
    if (r.done) {
      const fsm::Execution e = r.execution;
      StreamSend(this, agent, from, tid, stream,
                 [stream, e](Transport* t) { t->Finished(stream, e); });
      StreamSend(this, agent, from, tid, stream,
                 [stream](Transport* t) { t->Close(stream, OkStatus()); });
    } else {
      r.streams.push_back({tid, stream, from});
    }
    return;
  }
  const fsm::RunKey rk{job->name, request.group(), agent, request.attempt()};
  // An armed run (start_at ahead) counts as started then; the agent's
  // thread waits for it (agent/run_table.h, at most 1 s).
  const absl::Time started =
      request.start_at_ns() > 0
          ? std::clamp(absl::FromUnixNanos(request.start_at_ns()), now(), now() + absl::Seconds(1))
          : now();
  oracle_.OnAgentStart(rk, request.execution_id(), job->retries, started);
  Agent::Run& r = a->runs[key];
  r.execution.id = request.execution_id();
  r.execution.job_name = job->name;
  r.execution.started_at = started;
  r.execution.node_name = agent;
  r.execution.group = request.group();
  r.execution.attempt = request.attempt();
  const int min_ms = ConfigInt(*job, "sim_min_ms", 100);
  const int max_ms = std::max(min_ms, ConfigInt(*job, "sim_max_ms", 3000));
  r.ends = started + absl::Milliseconds(std::uniform_int_distribution<int>(min_ms, max_ms)(rng_));
  r.success = std::uniform_int_distribution<int>(1, 100)(rng_) > ConfigInt(*job, "sim_fail_pct", 0);
  r.streams.push_back({tid, stream, from});
  Trace(absl::StrCat(agent, " starts ", job->name, " ", r.execution.id));
  StreamSend(this, agent, from, tid, stream,
             [stream, started](Transport* t) { t->Started(stream, started, false); });
  events_.At(r.ends, [this, agent, key, success = r.success] {
    if (Agent* x = FindAgent(agent)) {
      FinishRun(*x, key.first, key.second, success, success ? "ok" : "exit status 1");
    }
  });
}

void Cluster::AgentCancel(const std::string& agent, const std::string& job, const std::string& id) {
  Agent* a = FindAgent(agent);
  if (a != nullptr) FinishRun(*a, job, id, false, "cancelled");
}

void Cluster::FinishRun(Agent& a, const std::string& job, const std::string& id, bool success,
                        const std::string& output) {
  if (!a.alive) return;
  auto it = a.runs.find({job, id});
  if (it == a.runs.end() || it->second.done) return;
  Agent::Run& r = it->second;
  r.done = true;
  r.execution.finished_at = now();
  r.execution.success = success;
  r.execution.output = output;
  oracle_.OnAgentFinish(r.execution);
  Trace(absl::StrCat(a.name, " finishes ", job, " ", id, success ? " ok" : " failed"));
  for (const Agent::Run::Stream& st : r.streams) {
    const fsm::Execution e = r.execution;
    StreamSend(this, a.name, st.server, st.transport, st.id,
               [s = st.id, e](Transport* t) { t->Finished(s, e); });
    StreamSend(this, a.name, st.server, st.transport, st.id,
               [s = st.id](Transport* t) { t->Close(s, OkStatus()); });
  }
  r.streams.clear();
  a.outbox.push_back(r.execution);
}

// --- Agents: the reporter ---------------------------------------------------------

void Cluster::StepAgent(Agent& a) {
  if (!a.alive) return;
  if (a.call != 0 && now() >= a.call_deadline) {  // no answer: try elsewhere, back off
    Trace(a.name + " report timed out");
    a.call = 0;
    a.preferred = -1;
    a.next_report = now() + a.backoff;
    a.backoff = std::min(a.backoff * 2, absl::Seconds(5));
  }
  if (a.call == 0 && !a.outbox.empty() && now() >= a.next_report) SendReport(a);
  if (a.renew_call != 0 && now() >= a.renew_deadline) {
    a.renew_call = 0;
    a.preferred = -1;
    a.next_renew = now() + absl::Seconds(1);  // ReporterOptions::renew_retry
  }
  if (a.renew_call == 0 && now() >= a.next_renew) SendRenewal(a);
}

namespace {
int Pick(Agent& a, int servers) {
  if (a.preferred >= 0) return a.preferred;
  return static_cast<int>(a.rotation++ % static_cast<std::size_t>(servers));
}
}  // namespace

// A lost request or answer mostly breaks the connection (the call fails
// at once: kUnavailable), sometimes it just never answers (the call times
// out after kCallTimeout).
std::function<void()> Cluster::CallLost(const std::string& agent, std::uint64_t call, int server) {
  if (std::uniform_int_distribution<int>(0, 4)(rng_) == 0) return {};
  return [this, agent, call, server] {
    ReportAnswered(agent, call, server, Status::Unavailable("connection reset"), -1);
  };
}

void Cluster::SendReport(Agent& a) {
  const int to = Pick(a, server_count());
  a.call = next_call_++;
  a.call_deadline = now() + kCallTimeout;
  Send(
      a.name, server(to).name,
      [this, to, agent = a.name, call = a.call, e = a.outbox.front()] {
        ServerReport(to, agent, call, e);
      },
      CallLost(a.name, a.call, to));
}

void Cluster::SendRenewal(Agent& a) {
  fsm::RenewLeases renew;
  renew.node_name = a.name;
  for (const auto& [key, r] : a.runs) {
    if (!r.done) renew.executions.push_back(key);
  }
  for (const fsm::Execution& e : a.outbox) renew.executions.push_back({e.job_name, e.id});
  if (renew.executions.empty()) {
    a.next_renew = now() + kLease / 3;
    return;
  }
  const int to = Pick(a, server_count());
  a.renew_call = next_call_++;
  a.renew_deadline = now() + kCallTimeout;
  Send(a.name, server(to).name, [this, to, agent = a.name, call = a.renew_call, renew] {
    ServerRenew(to, agent, call, renew);
  });
}

// rpc/executions_service.cc ReportLocal, on the simulated server. A follower
// answers kNotLeader with its leader as the hint (the real one forwards;
// the reporter then reaches the leader either way).
void Cluster::ServerReport(int to, const std::string& agent, std::uint64_t call,
                           const fsm::Execution& e) {
  Server& s = server(to);
  if (!s.alive) return;
  auto answer = [this, to, agent, call](const Status& st) {
    Server& srv = server(to);
    const int hint = srv.leader_hint;
    Send(
        srv.name, agent,
        [this, agent, call, to, st, hint] { ReportAnswered(agent, call, to, st, hint); },
        CallLost(agent, call, to));
  };
  bool job = false, committed = false;
  s.state->Read([&](const fsm::State& st) {
    job = st.FindJob(e.job_name) != nullptr;
    auto stored = st.executions().Get(e.job_name, e.id);
    committed = stored && !stored->running();
  });
  if (!job) return answer(Status::NotFound("deleted job"));
  if (committed) return answer(OkStatus());
  if (!s.leader) return answer(Status::NotLeader("", "not leader"));
  Trace(absl::StrCat(s.name, " proposes the report of ", e.job_name, " ", e.id, " from ", agent));
  Propose(s, now(), fsm::ExecutionFinished{e}, answer);
}

void Cluster::ServerRenew(int to, const std::string& agent, std::uint64_t call,
                          const fsm::RenewLeases& renew) {
  Server& s = server(to);
  if (!s.alive) return;
  auto answer = [this, to, agent, call](const Status& st) {
    Server& srv = server(to);
    const int hint = srv.leader_hint;
    Send(srv.name, agent, [this, agent, call, st, hint, to] {
      Agent* a = FindAgent(agent);
      if (a == nullptr || !a->alive || a->renew_call != call) return;
      a->renew_call = 0;
      const bool follow = st.code() == StatusCode::kNotLeader && hint >= 0 && hint != to;
      if (st.ok()) {
        a->next_renew = now() + kLease / 3;
      } else {
        a->preferred = follow ? hint : -1;
        a->next_renew = now() + (follow ? absl::ZeroDuration() : absl::Seconds(1));
      }
    });
  };
  if (!s.leader) return answer(Status::NotLeader("", "not leader"));
  fsm::RenewLeases r = renew;
  r.until = now() + kLease;  // the proposing server's clock
  Propose(s, now(), std::move(r), answer);
}

void Cluster::ReportAnswered(const std::string& agent, std::uint64_t call, int from, Status st,
                             int hint) {
  Agent* a = FindAgent(agent);
  if (a == nullptr || !a->alive || a->call != call) return;  // stale
  a->call = 0;
  if (!st.ok()) Trace(absl::StrCat(a->name, " report to s", from + 1, ": ", st.ToString()));
  if (st.ok() || st.code() == StatusCode::kNotFound || st.code() == StatusCode::kInvalidArgument) {
    if (!st.ok()) Trace(a->name + " drops report " + a->outbox.front().id + ": " + st.ToString());
    a->outbox.pop_front();
    a->preferred = from;
    a->backoff = absl::Milliseconds(100);
    a->next_report = now();
  } else if (st.code() == StatusCode::kNotLeader && hint >= 0 && hint != from) {
    a->preferred = hint;
    a->next_report = now();
  } else {
    a->preferred = -1;
    a->next_report = now() + a->backoff;
    a->backoff = std::min(a->backoff * 2, absl::Seconds(5));
  }
  if (!a->outbox.empty() && now() >= a->next_report) SendReport(*a);  // the owner thread goes on
}

// --- The nemesis ------------------------------------------------------------------

void Cluster::Nemesis() {
  std::uniform_int_distribution<int> pick(0, 6);
  const int leader = CurrentLeader();
  auto later = [&](int lo_s, int hi_s) {
    return now() +
           absl::Milliseconds(std::uniform_int_distribution<int>(lo_s * 1000, hi_s * 1000)(rng_));
  };
  switch (pick(rng_)) {
    case 0:  // kill the leader, restart it later
      if (leader < 0) return;
      KillServer(server(leader));
      events_.At(later(1, 20), [this, leader] { Restart(leader); });
      return;
    case 1:  // kill the leader just after it proposed a batch of fires
      Trace("nemesis: kill the next leader with fires in flight");
      kill_mid_batch_ = true;
      return;
    case 2: {  // partition the leader (maybe with an agent) from the majority
      if (leader < 0) return;
      std::vector<std::string> cut{server(leader).name};
      if (std::uniform_int_distribution<int>(0, 1)(rng_) == 1) {
        cut.push_back(
            agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)].name);
      }
      std::string line = "nemesis: partition";
      for (const std::string& n : cut) {
        side_[n] = 1;
        absl::StrAppend(&line, " ", n);
      }
      Trace(line + " from the rest");
      events_.At(later(2, 30), [this, cut] {
        for (const std::string& n : cut) side_.erase(n);
        Trace("nemesis: partition healed");
      });
      return;
    }
    case 3: {  // an agent dies for good (one at most per seed)
      int dead = 0;
      for (const Agent& a : agents_) dead += !a.alive;
      if (dead > 0) return;
      Agent& a = agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)];
      a.alive = false;
      a.died = now();
      Trace("nemesis: agent " + a.name + " dies");
      return;
    }
    case 4: {  // an agent is cut off, sometimes longer than its lease
      Agent& a = agents_[std::uniform_int_distribution<std::size_t>(0, agents_.size() - 1)(rng_)];
      side_[a.name] = 2;
      Trace("nemesis: agent " + a.name + " isolated");
      events_.At(later(5, 60), [this, name = a.name] {
        side_.erase(name);
        Trace("nemesis: agent " + name + " reconnected");
      });
      return;
    }
    case 5: {  // kill a follower
      std::vector<int> followers;
      for (const Server& s : servers_) {
        if (s.alive && !s.leader) followers.push_back(s.id);
      }
      if (followers.empty()) return;
      const int f =
          followers[std::uniform_int_distribution<std::size_t>(0, followers.size() - 1)(rng_)];
      KillServer(server(f));
      events_.At(later(1, 20), [this, f] { Restart(f); });
      return;
    }
    default: {  // a burst of heavy message loss
      Trace("nemesis: heavy message loss");
      loss_ = 0.3;
      events_.At(later(1, 5), [this] {
        loss_ = options_.loss;
        Trace("nemesis: message loss back to normal");
      });
      return;
    }
  }
}

void Cluster::Heal() {
  Trace("calm: partitions healed, servers restarted, no more faults");
  side_.clear();
  kill_mid_batch_ = false;
  loss_ = options_.loss;
  for (Server& s : servers_) {
    if (!s.alive) Restart(s.id);
  }
}

}  // namespace ckron::sim
