// The leader's "where and how often" (hops 6 and 11 of the data path,
// docs/architecture.md; dkron-spec §4): turns due fires into recorded fires
// and recorded runs into executions on agents.
//
//   fires      (FireSink, scheduler thread) pause and concurrency policy
//              against the replicated state, targets from the alive
//              members of the leader's region, then RecordFire, one
//              proposal per fire but all of a batch in flight at once (Raft
//              group-commits them). A refused fire (kAlreadyExists: already
//              recorded) is fine: the state machine never records it twice.
//   runs       (dispatch loop thread) every pending run of the state (the
//              RunPending events, and all of them when leadership begins)
//              is opened on its node with AgentRunner.Run under its
//              deterministic id fsm::RunExecutionId(group, attempt, node);
//              the stream's `started` commits ExecutionStarted with a
//              lease (after start_record_delay, and only if the run's
//              result has not been committed by then). A node that
//              cannot be reached or refuses before `started` is retried a
//              few times within dispatch_timeout, then the run is
//              committed as a failed execution naming the node and the
//              reason (the state machine then schedules the job's retry,
//              semantics §4.3). Results do not come through the stream:
//              agents report them (Executions.Report).
//   leases     running executions whose lease passed are committed as
//              failed ("execution lost"), so `forbid` jobs never stay stuck.
//   dependents each FirePending becomes the child's RecordFire.
//
// Fencing: Start(term) and Stop() bracket one leadership term. Every
// dispatch and every proposal first checks Proposer::Leads(term); when Stop
// returns, no stream is open, no timer is left and nothing more is sent.
//
// Thread safety: safe for concurrent use. OnEvents/OnRestored never block
// (the raft loop thread calls them). OnFires blocks its caller (the
// scheduler thread) until the batch's fires are applied, which paces the
// scheduler to Raft. RunNow blocks until its fire is applied.
//
// Stepped mode (DispatcherOptions::threaded = false, for the deterministic
// simulation): Start spawns no thread; the caller runs the loop with Step()
// and paces its scheduler with FiresInFlight(), since OnFires then returns
// without waiting. Step, Stop and OnFires must then come from one thread.
#ifndef CKRON_DISPATCHER_DISPATCHER_H_
#define CKRON_DISPATCHER_DISPATCHER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/status.h"
#include "dispatcher/agent_transport.h"
#include "dispatcher/live_output.h"
#include "dispatcher/proposer.h"
#include "fsm/commands.h"
#include "replica/replicated_state.h"
#include "scheduler/scheduler_loop.h"

namespace ckron::dispatcher {

struct DispatcherOptions {
  // The leader's region: only its alive members run jobs (dkron-spec §4.2).
  std::string region;
  // How long a started execution stays "running" without a renewal (agents
  // renew every lease/3). Shorter detects a dead node sooner; longer
  // tolerates longer pauses of a busy agent.
  absl::Duration lease = absl::Seconds(30);
  // How long a run may take to start on its node (the agent's `started`)
  // before it is committed as failed. Attempts within it are spaced by
  // dispatch_retry_interval; at most dispatch_attempts.
  absl::Duration dispatch_timeout = absl::Seconds(10);
  absl::Duration dispatch_retry_interval = absl::Seconds(1);
  int dispatch_attempts = 3;
  // After a failure or an expired lease was proposed, look again this much
  // later (in case the proposal did not commit).
  absl::Duration recheck_interval = absl::Seconds(5);
  // Deadline of an AgentRunner.Cancel call (concurrency `replace`).
  absl::Duration cancel_timeout = absl::Seconds(5);
  // Concurrency `replace`: a new run starts only once the cancelled ones
  // have ended (checked every replace_poll), or after replace_wait at the
  // latest (an agent that lost its runs must not block the job for ever;
  // the shell executor's own cancel grace is 10 s).
  absl::Duration replace_wait = absl::Seconds(15);
  absl::Duration replace_poll = absl::Milliseconds(100);
  // A run due this soon is sent now with its instant as start_at
  // (run.proto), and the agent starts it then: a burst is recorded and sent
  // ahead and starts on time (docs/semantics.md, "Arming ahead"). Pairs
  // with the scheduler's lead (scheduler_loop.h), which should be smaller.
  // Zero: runs are sent at their instant.
  absl::Duration arm_ahead = absl::ZeroDuration();
  // How long after a node's `started` the leader records ExecutionStarted
  // (docs/semantics.md §4.1b, "Recording a start"). A run whose result is
  // committed first is never recorded as running: one Raft command and one
  // store write fewer per short run. Until recorded the run stays pending in
  // the state (so `forbid` sees it) and this leader watches its stream.
  // Jobs with concurrency `replace` are recorded at once: the policy must
  // find the running execution to cancel it. Zero: recorded at once.
  absl::Duration start_record_delay = absl::ZeroDuration();
  // Live output kept per running execution (LiveOutput).
  std::size_t live_output_bytes = 64 * 1024;
  // Events queued for the dispatch loop before it falls back to rescanning
  // the state (bounds memory; the raft loop never waits).
  std::size_t max_queued_events = 1'000'000;
  // The loop re-reads the clock at least this often (with a ManualClock in
  // tests, lower it).
  absl::Duration max_sleep = absl::Seconds(1);
  // Seed of the target sampling (dkron-spec §4.2 "value:count"); 0 = random.
  std::uint64_t seed = 0;
  // false: no loop thread; the owner calls Step() (tests and the
  // deterministic simulation, where one thread must drive everything).
  bool threaded = true;
};

// Makes the transport the dispatcher calls agents through; the dispatcher
// owns it and is its observer. Default: AgentCalls (gRPC).
using TransportFactory = std::function<std::unique_ptr<AgentTransport>(RunObserver* observer)>;

// Counters for metrics and tests. Safe to read at any time.
struct DispatcherStats {
  std::uint64_t fires_recorded = 0;   // RecordFire applied
  std::uint64_t fires_skipped = 0;    // paused, disabled or forbid
  std::uint64_t runs_dispatched = 0;  // Run streams opened
  std::uint64_t runs_failed = 0;      // failed before `started` (proposed)
  std::uint64_t leases_expired = 0;   // "execution lost" proposed
  std::uint64_t cancels_sent = 0;     // AgentRunner.Cancel for `replace`

  // fires_skipped by reason, and fires recorded with no target node.
  std::uint64_t skipped_paused = 0, skipped_disabled = 0, skipped_forbid = 0, no_targets = 0;
};

class Dispatcher final : public scheduler::FireSink, private RunObserver {
 public:
  // Every pointer must outlive the dispatcher. An empty `transport` means
  // AgentCalls over gRPC.
  Dispatcher(DispatcherOptions options, const replica::ReplicatedState* state, Proposer* proposer,
             const MemberView* members, const Clock* clock, TransportFactory transport = {});
  ~Dispatcher() override;  // Stop()

  // This server leads `term` and has applied everything committed before:
  // queues every pending run, running lease and pending dependent fire of
  // the state, and starts the dispatch loop. REQUIRES: stopped.
  void Start(Term term);
  // Leadership ended: stops the loop, cancels every open stream, drops all
  // timers and live output. When it returns nothing more is sent or
  // proposed. Idempotent.
  void Stop();

  // scheduler::FireSink. Skipped while stopped. Threaded: returns once every
  // fire of the batch is applied or refused. Stepped: returns once they are
  // proposed (see FiresInFlight).
  void OnFires(std::vector<scheduler::FireIntent> fires) override;

  // Stepped mode only (REQUIRES: options.threaded == false). One turn of
  // the dispatch loop: the queued messages, then the timers due at
  // clock->Now(). No-op while stopped.
  void Step();
  // The earliest timer of the loop; nullopt when none (or stopped).
  // Stepped mode only.
  std::optional<absl::Time> NextTimer() const;
  // Whether a batch passed to OnFires still has proposals without a
  // verdict. A stepping scheduler waits for false before its next batch,
  // as the threaded OnFires makes it wait (forbid must see the last batch).
  bool FiresInFlight();

  // What an applied entry changed (replica::EventSink); ignored while
  // stopped. Never blocks.
  void OnEvents(const std::vector<fsm::Event>& events);
  // The state was replaced by a snapshot: rescan it.
  void OnRestored();

  // Runs a job now (the API's POST /v1/jobs/{job}/run): records a manual
  // fire on the selected targets and returns once it is applied.
  // Concurrency `forbid` is honoured unless `force`.
  // Errors: kNotLeader (this server does not lead, or the dispatcher is
  // stopped), kNotFound (no such job), kFailedPrecondition (forbid and the
  // job is running or about to), kTimeout (not applied by `deadline`; it
  // may still be), and the Proposer's errors.
  Status RunNow(const std::string& job_name, bool force, absl::Time deadline);

  // The live output of an execution streaming to this leader; nullopt when
  // it is not (finished, elsewhere, or this server does not lead).
  std::optional<std::string> LiveOutputOf(const std::string& job_name,
                                          const std::string& execution_id) const;

  DispatcherStats stats() const;

 private:
  // --- Messages to the dispatch loop (dispatcher.cc) ---
  struct Rescan {};
  struct StreamStarted {
    fsm::RunKey key;
    absl::Time started_at;
  };
  struct StreamFinished {  // `finished` before `started`: a failed start
    fsm::RunKey key;
    fsm::Execution execution;
  };
  struct StreamClosed {
    fsm::RunKey key;
    std::uint64_t stream;
    Status status;
  };
  using Message = std::variant<fsm::RunPending, fsm::FirePending, fsm::ExecutionStartedEvent,
                               Rescan, StreamStarted, StreamFinished, StreamClosed>;

  // One OnFires batch. Records are proposed in rounds: each round, the
  // oldest unsettled fire of every job of the batch, all in flight
  // together; a job's next fire waits for the verdict on the one before,
  // because once a later fire is applied an earlier one can no longer be
  // (kAlreadyExists) and a retry would come too late. Proposer callbacks
  // only touch `mu`'s fields (shared: a stepped OnFires returns before
  // they run); the rest belongs to the caller of OnFires / FiresInFlight.
  struct FireBatch {
    Term term;
    std::vector<fsm::RecordFire> records;
    std::map<std::string, std::deque<std::size_t>> queues;  // job -> records, oldest first
    std::map<std::size_t, int> retries;                     // record -> retries so far
    bool backoff = false;                                   // the last round asked for a retry
    std::mutex mu;
    std::condition_variable settled;
    std::size_t remaining = 0;  // guarded by mu: proposals of this round without a verdict
    std::vector<std::pair<std::size_t, Status>> verdicts;  // guarded by mu
  };

  // Dependent fires whose proposal completed, filled by Proposer callbacks
  // (which may run after the dispatcher is gone, hence shared).
  struct SettledChildFires {
    std::mutex mu;
    std::vector<std::pair<std::string, std::int64_t>> keys;  // guarded by mu
    std::uint64_t recorded = 0;                              // guarded by mu
  };

  // --- Timers of the dispatch loop ---
  enum class TimerKind { kDispatch, kStartDeadline, kConfirm, kLease };
  struct Timer {
    absl::Time at;
    TimerKind kind;
    fsm::RunKey run;                              // kDispatch, kStartDeadline, kConfirm
    std::pair<std::string, std::string> running;  // kLease: (job, execution id)
    bool operator>(const Timer& o) const { return at > o.at; }
  };

  // A run this leader is starting. Loop thread only.
  struct Dispatch {
    absl::Time deadline;          // fail it if not started by then
    int attempts = 0;             // streams opened
    std::uint64_t stream = 0;     // open stream, 0 = none
    bool started = false;         // the agent said `started`
    absl::Time started_at;        // valid when started
    bool recorded = false;        // ExecutionStarted was proposed
    bool record_at_once = false;  // concurrency `replace`: no start_record_delay
    bool settled = false;         // a result was proposed from the stream
    bool timed_out = false;       // the open stream was cancelled at the deadline
    std::string last_error;
  };

  // RunObserver (gRPC threads).
  void OnRunStarted(const fsm::RunKey& key, absl::Time started_at, bool duplicate) override;
  void OnRunOutput(const fsm::RunKey& key, std::string_view chunk) override;
  void OnRunFinished(const fsm::RunKey& key, fsm::Execution execution) override;
  void OnRunClosed(const fsm::RunKey& key, std::uint64_t stream, Status status) override;

  // Queues a message for the loop; false when stopped.
  bool Post(Message m);
  void RunDispatchLoop();
  void Turn();              // one pass of the loop: inbox, then due timers
  void ResetLoopState();    // the loop ended
  void Handle(Message& m);  // loop thread
  void FireTimer(const Timer& t);
  void DrainSettledChildFires();  // loop thread
  void ScanState();               // loop thread: every pending run, lease and child fire
  // What the state says of a run: pending (with its job), and for a
  // `replace` job whether an older execution still runs.
  struct RunView {
    std::optional<fsm::PendingRun> run;  // nullopt: not pending
    std::shared_ptr<const fsm::Job> job;
    bool replacing = false;
  };
  static RunView ViewRun(const fsm::State& s, const fsm::RunKey& key);
  // Reads the runs of a turn's due timers in one read of the state.
  void ReadRuns(const std::vector<Timer>& due);
  // The run as this turn read it, or as the state has it now.
  RunView ViewOf(const fsm::RunKey& key);
  void TryDispatch(const fsm::RunKey& key);
  void AttemptFailed(const fsm::RunKey& key, const std::string& reason);
  void FailRun(const fsm::RunKey& key, const std::string& reason);
  void CheckLease(const std::pair<std::string, std::string>& running);
  void ProposeStarted(const fsm::RunKey& key, absl::Time started_at);
  void ConfirmStarted(const fsm::RunKey& key);
  void FireChild(const fsm::FirePending& fire);  // fires.cc
  // fires.cc: proposes the head of every job's queue (one round).
  void ProposeRound(const std::shared_ptr<FireBatch>& batch);
  // fires.cc: once a round has every verdict, settles them and proposes
  // the next round (true), or finds the batch done (false).
  bool NextRound(const std::shared_ptr<FireBatch>& batch);
  std::optional<std::string> RpcAddrOf(const std::string& node);
  void PushTimer(Timer t) { timers_.push(std::move(t)); }
  bool Leads() const { return proposer_->Leads(term_); }
  // Proposes without waiting; failures are logged with `what`.
  void ProposeAndLog(fsm::Command command, std::string what);

  // fires.cc: whether a job has a running execution or a pending run
  // (concurrency `forbid`, semantics §4.4).
  static bool Busy(const fsm::State& s, const std::string& job_name);
  std::vector<Candidate> AliveMembers() const { return members_->Alive(options_.region); }
  // The job's targets among `alive` (dkron-spec §4.2).
  std::vector<std::string> Targets(const fsm::Job& job, const std::vector<Candidate>& alive);
  // The current term, or nullopt while stopped (any thread).
  std::optional<Term> CurrentTerm() const;

  const DispatcherOptions options_;
  const replica::ReplicatedState* const state_;
  Proposer* const proposer_;
  const MemberView* const members_;
  const Clock* const clock_;
  LiveOutput live_;
  const std::unique_ptr<AgentTransport> calls_;

  // This class behaves like a monitor: mu_ guards everything below it up
  // to the loop-thread-only section.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool running_ = false;
  bool stop_ = false;
  Term term_;  // the term of the current Start; read without mu_ by the loop
  std::vector<Message> inbox_;
  bool rescan_ = false;  // the inbox overflowed: rescan the state instead
  DispatcherStats stats_;
  std::mt19937_64 rng_;  // target sampling (fires and RunNow)
  std::thread thread_;
  std::vector<std::shared_ptr<FireBatch>> batches_;  // stepped mode: not yet settled
  const std::shared_ptr<SettledChildFires> settled_ = std::make_shared<SettledChildFires>();

  // Loop thread only (the loop is not running outside Start..Stop).
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::map<fsm::RunKey, Dispatch> dispatches_;
  std::set<std::pair<std::string, std::int64_t>> child_fires_;  // proposed, not settled
  std::optional<std::map<std::string, std::string>> addrs_;     // node -> rpc_addr, per wakeup
  std::map<fsm::RunKey, RunView> run_views_;                    // ReadRuns, per turn
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_DISPATCHER_H_
