// A deterministic simulation of a ckron cluster (issue #5): N servers, each
// with the real replicated state (replica::ReplicatedState over fsm::Apply),
// the real scheduler::Scheduler and the real dispatcher::Dispatcher in
// stepped mode, joined by a simulated Raft log; agents that "run" jobs for a
// seeded time and report results as src/agent/reporter does; a network that
// delays, loses and partitions messages; and a nemesis that kills leaders,
// partitions them from the majority, kills and isolates agents. One thread,
// one ManualClock, one seeded generator: a seed replays exactly.
//
// The Oracle (oracle.h) checks the invariants after every step and, at the
// end of a seed, the accounting of every due fire.
//
// Thread safety: not thread-safe; everything runs on the test's thread.
#ifndef CKRON_TESTS_SIM_SIM_H_
#define CKRON_TESTS_SIM_SIM_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/ids.h"
#include "dispatcher/dispatcher.h"
#include "fsm/commands.h"
#include "fsm/execution_store.h"
#include "replica/replicated_state.h"
#include "scheduler/scheduler.h"
#include "scheduler/scheduler_loop.h"
#include "tests/sim/oracle.h"

namespace ckron::sim {

struct SimOptions {
  std::uint64_t seed = 1;
  int servers = 3;
  int agents = 3;
  // Faults happen during [fault_start, duration); then `quiesce` of calm
  // (everything healed, dead servers back) so every run can finish.
  absl::Duration fault_start = absl::Seconds(20);
  absl::Duration duration = absl::Minutes(2);
  absl::Duration quiesce = absl::Seconds(100);
  absl::Duration tick = absl::Milliseconds(100);  // servers and agents step at least this often
  double loss = 0.03;                             // every message, both ways
  // Dispatcher proposals refused at once by a leading server (Raft's
  // back-pressure, kResourceExhausted).
  double proposal_failure = 0.01;
  absl::Duration mean_fault_gap = absl::Seconds(25);
  bool faults = true;
  std::vector<fsm::Job> jobs;
  std::function<void(const std::string&)> trace_sink;  // every trace line, if set
};

// Deterministic discrete events at simulated instants (FIFO among equals).
class EventQueue {
 public:
  void At(absl::Time at, std::function<void()> fn);
  std::optional<absl::Time> Next() const;
  // Runs every event due at or before `now` (including ones they add).
  void RunDue(absl::Time now);

 private:
  struct Event {
    absl::Time at;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> q_;
  std::uint64_t seq_ = 0;
};

class Cluster;

// One Raft log entry. Barriers are the leader's first entry of its term
// (libraft's barrier): committed, never given to the state machine.
struct LogEntry {
  Term term;
  bool barrier = false;
  std::string data;  // replica::EncodeCommand
};

// A server: Raft's persistent part survives Kill; everything else is the
// process and is rebuilt on Restart, replaying the log as a real restart
// does (raft/state_machine.h).
struct Server {
  int id = 0;
  std::string name;
  // Persistent (Raft's log and term).
  Term term{0};
  std::vector<LogEntry> log;  // index i is log[i - 1]
  // Volatile.
  bool alive = true;
  bool leader = false;
  int leader_hint = -1;  // the leader it last heard from (Report's NotLeader hint)
  std::uint64_t commit = 0;
  std::uint64_t applied = 0;
  std::uint64_t checked = 0;        // the applied index the oracle last checked
  absl::Time last_heard;            // the election timer: last leader contact or own campaign
  absl::Time leader_contact;        // last AppendEntries from a leader (pre-vote)
  absl::Duration election_timeout;  // seeded per incarnation
  std::vector<std::uint64_t> next, match;
  std::vector<absl::Time> acked;  // leader: last answer from each server
  std::map<std::uint64_t, dispatcher::Proposer::Done> waiting;  // leader: index -> verdict
  std::uint64_t barrier_index = 0;
  bool established = false;  // EstablishLeadership ran for `term`
  // The process.
  std::unique_ptr<fsm::MemoryExecutionStore> store;
  std::unique_ptr<replica::ReplicatedState> state;
  std::unique_ptr<replica::EventSink> sink;
  std::unique_ptr<scheduler::JobSource> jobs;
  std::unique_ptr<dispatcher::Proposer> proposer;
  std::unique_ptr<dispatcher::MemberView> members;
  std::unique_ptr<dispatcher::Dispatcher> dispatcher;
  std::unique_ptr<scheduler::Scheduler> scheduler;  // while established
  std::unique_ptr<scheduler::AheadGate> gate;       // while established
  std::vector<std::string> changed;                 // job events for the scheduler
  std::uint64_t incarnation = 0;
};

// A fake agent: the run table (an execution id runs at most once, results
// remembered), a fake executor, and the reporter (reports until acked,
// lease renewals every lease/3).
struct Agent {
  struct Run {
    fsm::Execution execution;
    absl::Time ends;
    bool success = false;
    bool done = false;
    struct Stream {
      std::uint64_t transport = 0;
      std::uint64_t id = 0;
      std::string server;
    };
    std::vector<Stream> streams;  // open Run streams watching it
  };
  std::string name;
  bool alive = true;
  absl::Time died;
  std::map<std::pair<std::string, std::string>, Run> runs;  // (job, id)
  std::deque<fsm::Execution> outbox;                        // reports not yet acked
  // Reporter.
  int preferred = -1;  // server that answered last or a leader hint; -1 rotate
  std::size_t rotation = 0;
  std::uint64_t call = 0;  // the report in flight (0: none)
  absl::Time call_deadline;
  absl::Time next_report;
  absl::Duration backoff = absl::Milliseconds(100);
  std::uint64_t renew_call = 0;
  absl::Time renew_deadline;
  absl::Time next_renew;
};

class Cluster {
 public:
  explicit Cluster(SimOptions options);
  ~Cluster();

  // Runs the whole seed; false (with oracle().failure()) on the first
  // violated invariant.
  bool Run();

  Oracle& oracle() { return oracle_; }
  // The last lines of the trace, for a failure message.
  std::string RecentTrace() const;
  std::uint64_t steps() const { return steps_; }
  absl::Time now() const { return clock_.Now(); }
  void Trace(const std::string& line);

  // --- Used by the in-memory pieces (sim.cc, agents.cc) ---
  // Whether a message between the two endpoints can pass now.
  bool Reachable(const std::string& a, const std::string& b) const;
  // Sends: delivered after a seeded delay unless lost or cut; `lost` runs
  // instead (at the delivery time) when it does not arrive.
  // `delay` fixed keeps one stream's messages in order (FIFO at equal times).
  void Send(const std::string& from, const std::string& to, std::function<void()> deliver,
            std::function<void()> lost = {}, std::optional<absl::Duration> delay = {});
  std::mt19937_64& rng() { return rng_; }
  const Clock* clock() const { return &clock_; }
  Server& server(int i) { return servers_[static_cast<std::size_t>(i)]; }
  int server_count() const { return static_cast<int>(servers_.size()); }
  Agent* FindAgent(const std::string& name);
  std::vector<dispatcher::Candidate> AliveAgents() const;

  // Raft, for the proposer.
  bool InjectProposalFailure();
  void Propose(Server& s, absl::Time now, fsm::Command command, dispatcher::Proposer::Done done);
  // Agent <-> dispatcher transport (agents.cc).
  class Transport;
  std::uint64_t RegisterTransport(Transport* t);
  void UnregisterTransport(std::uint64_t id);
  Transport* FindTransport(std::uint64_t id);
  void AgentReceiveRun(const std::string& agent, std::uint64_t transport, std::uint64_t stream,
                       const ckron::v1::RunRequest& request, const std::string& from_server);
  void AgentCancel(const std::string& agent, const std::string& job, const std::string& id);

 private:
  // sim.cc: Raft and servers.
  std::unique_ptr<dispatcher::AgentTransport> NewTransport(int server,
                                                           dispatcher::RunObserver* observer);
  int Majority() const;
  void StartProcess(Server& s);
  void KillServer(Server& s);
  void Restart(int id);
  void StepServer(Server& s, bool tick);
  void Campaign(Server& s);
  void StepDown(Server& s, Term term);
  void SendAppends(Server& leader);
  void OnAppend(Server& s, int from, Term term, std::uint64_t prev_index, Term prev_term,
                std::vector<LogEntry> entries, std::uint64_t leader_commit);
  void OnAppendReply(Server& leader, int from, Term term, bool success, std::uint64_t index);
  void AdvanceCommit(Server& leader);
  void ApplyCommitted(Server& s);
  void Establish(Server& s);
  void Revoke(Server& s);
  void StepScheduling(Server& s);
  int LeaderHint(const Server& s) const;
  // agents.cc
  void StepAgent(Agent& a);
  void FinishRun(Agent& a, const std::string& job, const std::string& id, bool success,
                 const std::string& output);
  std::function<void()> CallLost(const std::string& agent, std::uint64_t call, int server);
  void SendReport(Agent& a);
  void SendRenewal(Agent& a);
  void ServerReport(int server, const std::string& agent, std::uint64_t call,
                    const fsm::Execution& e);
  void ServerRenew(int server, const std::string& agent, std::uint64_t call,
                   const fsm::RenewLeases& renew);
  void ReportAnswered(const std::string& agent, std::uint64_t call, int server, Status status,
                      int hint);
  // nemesis.cc
  void Nemesis();
  void Heal();
  int CurrentLeader() const;

  SimOptions options_;
  ManualClock clock_;
  std::mt19937_64 rng_;
  EventQueue events_;
  Oracle oracle_;
  std::vector<Server> servers_;
  std::vector<Agent> agents_;
  std::map<std::string, int> side_;  // partition: node -> side (absent: 0)
  std::map<std::uint64_t, Transport*> transports_;
  std::uint64_t next_transport_ = 1;
  std::uint64_t next_call_ = 1;
  std::uint64_t steps_ = 0;
  double loss_ = 0;
  bool kill_mid_batch_ = false;  // nemesis: kill the next leader that has fires in flight
  absl::Time next_tick_;
  absl::Time start_, fault_end_, end_;
  absl::Time next_fault_;
  std::deque<std::string> trace_;
};

}  // namespace ckron::sim

#endif  // CKRON_TESTS_SIM_SIM_H_
