// The executions of this node (hop 7 of the data path, docs/architecture.md):
// each one runs on a thread of this table's own, at most once per execution id,
// and its result goes to a ResultSink (the reporter) however its callers
// fare. Observers (the Run streams) watch a run's output and result; any
// number may watch one run, and one that goes away changes nothing.
//
// Duplicates (run.proto RunEvent.Started.duplicate): a Start for an id that
// is running here attaches to the running execution; one for an id that
// finished here recently gets its remembered result. Recent results are
// kept for `remember_for`, at most `remember_count` of them and
// `remember_bytes` of output, oldest forgotten first.
//
// Threads: executors block (a shell job waits for its child), so every
// running execution has a thread, and the table keeps one for every run
// queued or armed. Threads are kept after their run and reused: a new run
// takes an idle one, and only when none is idle is one created; a thread
// idle for `idle_thread_ttl` exits. A burst of short runs therefore costs no
// thread creation once the table has warmed up.
//
// Armed runs (sent ahead of their instant) wait in one timer, by instant.
// At an instant its thread queues the due runs and wakes two threads; each
// thread that takes a run wakes one more while runs remain, and a thread
// whose run ended takes the next without sleeping. A burst due at one
// instant thus costs a few wake-ups, not one per run.
//
// Starts before results: a run's result (the sink, the observers, the
// remembered copy) is handled by one results thread, which holds it while
// a run armed for an instant already reached has not started yet, and for
// `result_settle` after an instant that started runs, at most
// `max_result_hold`. A burst of runs due at one instant therefore spends
// the host's CPU on starting them all; their results follow.
//
// Thread safety: safe for concurrent use. This class behaves like a monitor:
// mu_ guards the tables below it. Output goes to observers on the execution's
// thread; results go to the sink and observers on the results thread; never
// with mu_ held.
#ifndef CKRON_AGENT_RUN_TABLE_H_
#define CKRON_AGENT_RUN_TABLE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/status.h"
#include "executor/runner.h"
#include "fsm/job.h"

namespace ckron::agent {

// One run as the leader dispatched it (run.proto RunRequest).
struct RunSpec {
  fsm::Job job;  // executor, executor_config and name are used
  std::string execution_id;
  std::int64_t group = 0;
  std::uint32_t attempt = 1;
  std::uint64_t term = 0;
  // Start no earlier than this (run.proto RunRequest.start_at_ns): the
  // leader sends a scheduled run a little ahead of its instant, and the
  // run's thread waits for it here. The past (the default): at once.
  absl::Time start_at = absl::InfinitePast();
};

// Watches one run. OnOutput is called on the execution's thread, OnFinished
// after the last of them on the results thread; never concurrently for one
// observer; must not block (the executor, or every other result, waits).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // A chunk of output, in order; valid only during the call.
  virtual void OnOutput(std::string_view chunk) = 0;
  // The stored result; the last call this observer gets.
  virtual void OnFinished(const fsm::Execution& execution) = 0;
};

// Receives every execution that ran here once it has finished.
class ResultSink {
 public:
  virtual ~ResultSink() = default;
  // Called once per execution, on the results thread; must not block long
  // (every later result waits).
  virtual void Deliver(fsm::Execution execution) = 0;
};

struct RunTableOptions {
  std::string node_name;  // Execution.node_name; required
  // Executions at once; a Start beyond it is refused. Each costs a thread
  // and whatever the job runs, so this only guards against runaway fan-in.
  std::size_t max_running = 4096;
  // How long a thread waits for another run before it exits. Longer: fewer
  // thread creations for jobs firing less often; idle threads cost ~8 MiB
  // of reserved (mostly untouched) stack each.
  absl::Duration idle_thread_ttl = absl::Seconds(60);
  // How long, how many and how much output of finished executions are kept
  // to answer duplicates. More: later re-dispatches are still recognised;
  // costs memory (up to remember_bytes of output).
  absl::Duration remember_for = absl::Hours(1);
  std::size_t remember_count = 10000;
  std::size_t remember_bytes = std::size_t{64} << 20;
  const Clock* clock = &SystemClock::Get();  // started_at, finished_at, expiry
  // The longest a run waits for its start_at: a later one (the leader's
  // clock far ahead of this node's) starts this long after it arrived.
  absl::Duration max_start_wait = absl::Seconds(2);
  // The longest a finished run's result waits for runs due and not yet
  // started (see "Starts before results" above).
  absl::Duration max_result_hold = absl::Milliseconds(50);
  // After an instant at which armed runs started, results also wait this
  // long: runs due at the same instant in other processes on this host
  // (other nodes, other schedulers) start before this node's results take
  // CPU. Within max_result_hold.
  absl::Duration result_settle = absl::Milliseconds(5);
  // Called for every run started (not for duplicates) with its started_at,
  // as its executor begins: must be quick (the trigger lag metric).
  std::function<void(const RunSpec& spec, absl::Time started_at)> on_start;
};

// What Start() did.
struct StartOutcome {
  // Of this run (a waiting run: when it will start), or of the original for
  // a duplicate.
  absl::Time started_at;
  bool duplicate = false;
  // A duplicate of a finished run: its remembered result. The observer is
  // then not called.
  std::optional<fsm::Execution> finished;
};

// An execution running here (run.proto RunningExecution).
struct RunningInfo {
  std::string execution_id;
  std::string job_name;
  std::int64_t group = 0;
  std::uint32_t attempt = 1;
  absl::Time started_at;
};

class RunTable {
 public:
  // `runner` and `sink` must outlive the table.
  RunTable(executor::Runner* runner, ResultSink* sink, RunTableOptions options);
  // Waits for every execution to end (call Shutdown() first, which bounds
  // that wait), then for the table's threads.
  ~RunTable();

  RunTable(const RunTable&) = delete;
  RunTable& operator=(const RunTable&) = delete;

  // Starts `spec` on a thread of the table and has `observer` (may be null) watch it;
  // or, for a duplicate id, attaches `observer` to the running execution
  // (it sees output from now on, then the result) or returns the
  // remembered result. A run that cannot find its executor still "runs":
  // its result is the failure (executor::FailedExecution), delivered as any.
  // Errors (nothing was started or remembered):
  //   kInvalidArgument    empty execution id or job name
  //   kUnavailable        Shutdown() has begun
  //   kResourceExhausted  max_running executions are running
  Result<StartOutcome> Start(RunSpec spec, std::shared_ptr<RunObserver> observer);

  // Asks a running execution to stop; returns at once. Its result is then
  // a failure. Errors: kNotFound if it is not running here.
  Status Cancel(const std::string& job_name, const std::string& execution_id);

  // The executions running here now, by execution id.
  std::vector<RunningInfo> Running() const;

  // The table's threads, and those of them waiting for a run.
  std::size_t threads() const;
  std::size_t idle_threads() const;

  // Refuses new runs, waits for every accepted run to reach the runner
  // (those armed ahead at their start_at, at most max_start_wait), then lets the running ones
  // finish (Runner::Shutdown: its grace, then cancellation) and waits for them and the table's
  // threads, so every result has reached the sink when it returns OK.
  // kTimeout if some executor ignored cancellation (their threads still run).
  Status Shutdown();

 private:
  struct Entry;
  struct Remembered {
    fsm::Execution execution;
    absl::Time expires;
  };

  using Workers = std::list<std::thread>;

  using Steady = std::chrono::steady_clock;
  // The runs armed for one instant, and that instant on the steady clock
  // (fixed when its first run was accepted: a wall-clock step cannot move it).
  struct Instant {
    Steady::time_point deadline;
    std::vector<std::shared_ptr<Entry>> runs;  // those cancelled meanwhile stay, taken
  };
  using Timer = std::map<absl::Time, Instant>;

  void WorkerMain(Workers::iterator self);
  // The timer thread: moves armed runs to work_ at their instants.
  void TimerMain();
  // Wakes up to `n` idle threads, or creates one when none is idle and
  // `create` (kResourceExhausted if it cannot). REQUIRES: mu_ held.
  Status WakeWorkers(std::size_t n, bool create);
  void Execute(const std::shared_ptr<Entry>& entry);
  // The run reached the runner, or ended before it: one less unadmitted.
  void Admitted();  // MUST NOT hold mu_
  // Hands a run's result to the results thread.
  void Complete(std::shared_ptr<Entry> entry, fsm::Execution execution);
  // The results thread: Finish() for every completed run, starts first.
  void ResultsMain();
  // A run armed for an instant now past has not started. REQUIRES: results_mu_ held.
  bool StartsDue(absl::Time now);
  // The armed run reached its instant (or was stopped before it).
  static void Started(const std::shared_ptr<Entry>& entry);  // lock-free
  void Finish(const std::shared_ptr<Entry>& entry, fsm::Execution execution);
  void Remember(const fsm::Execution& execution);  // REQUIRES: mu_ held
  void Forget(absl::Time now);                     // REQUIRES: mu_ held
  void StopWorkersAndJoin();                       // MUST NOT hold mu_
  void JoinFinishedThreads();                      // MUST NOT hold mu_

  executor::Runner* const runner_;
  ResultSink* const sink_;
  const RunTableOptions options_;

  mutable std::mutex mu_;
  bool shutting_down_ = false;                             // guarded by mu_
  std::map<std::string, std::shared_ptr<Entry>> running_;  // guarded by mu_
  // Keyed by (job, execution id) (RunKey in run_table.cc).
  // Invariant: keys in recent_ and running_ are disjoint; recent_order_ holds
  // recent_'s keys oldest first; remembered_bytes_ = sum of their outputs.
  std::map<std::string, Remembered> recent_;  // guarded by mu_
  std::deque<std::string> recent_order_;      // guarded by mu_
  std::size_t remembered_bytes_ = 0;          // guarded by mu_
  // The threads: workers_ alive, exited_ ended and not yet joined (by the
  // next Start(), Shutdown() or the destructor). Invariant: idle_ of
  // workers_ wait for work; runs queued in work_ and not yet taken.
  // active_runs_ = runs started and not finished.
  Workers workers_;                          // guarded by mu_
  Workers exited_;                           // guarded by mu_
  std::size_t idle_ = 0;                     // guarded by mu_
  bool stop_workers_ = false;                // guarded by mu_
  std::deque<std::shared_ptr<Entry>> work_;  // guarded by mu_
  std::condition_variable work_ready_;       // work_ grew or stop_workers_
  // Threads notified and not yet back from their wait, and threads created
  // and not yet waiting: both will look at work_ soon.
  std::size_t waking_ = 0;    // guarded by mu_
  std::size_t starting_ = 0;  // guarded by mu_
  // Armed runs waiting for their instant, by instant; timer_runs_ of them
  // are still waiting (Entry::in_timer). One thread sleeps until the earliest and moves every due
  // run to work_, waking a few threads; each thread that takes a run wakes the next while work
  // remains. A burst due at one instant thus costs a few wake-ups, not one per run, and a thread
  // that finishes a quick run takes the next.
  Timer timer_;                       // guarded by mu_
  std::size_t timer_runs_ = 0;        // guarded by mu_
  std::condition_variable timer_cv_;  // timer_'s earliest changed, or stop_workers_
  // Results wait until then (steady clock ticks): the last instant that
  // started armed runs, plus result_settle. Set by the timer thread.
  std::atomic<Steady::rep> settle_until_ = 0;
  std::thread timer_thread_;
  std::size_t active_runs_ = 0;  // guarded by mu_
  // Runs accepted and not yet counted by the runner (queued, armed before
  // their start_at, or on their way to Runner::Run).
  // Changed under mu_ when a run is accepted, without it when admitted.
  std::atomic<std::size_t> unadmitted_runs_ = 0;
  std::atomic<bool> shutdown_begun_ = false;  // Shutdown() is waiting for unadmitted_runs_
  std::condition_variable runs_done_;     // notified when active_runs_ or unadmitted_runs_ drops
  std::condition_variable workers_gone_;  // notified when workers_ shrinks

  // The results thread's side. Lock order: mu_ before results_mu_.
  struct Completed;  // a finished run on its way to Finish()
  std::mutex results_mu_;
  // Armed runs by instant, dropped from the front once started (only the
  // results thread looks, when it has results): StartsDue's view.
  std::multimap<absl::Time, std::shared_ptr<Entry>> armed_;  // guarded by results_mu_
  // Finished runs, newest first: pushed by the execution threads without a
  // lock, taken whole by the results thread.
  std::atomic<Completed*> completed_ = nullptr;
  bool stop_results_ = false;              // guarded by results_mu_
  std::condition_variable results_ready_;  // completed_ was empty and grew, or stop
  std::thread results_thread_;
};

}  // namespace ckron::agent

#endif  // CKRON_AGENT_RUN_TABLE_H_
