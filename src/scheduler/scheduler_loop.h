// The thread that runs the Scheduler on the leader: sleeps until the next
// fire is due, hands due fires to the dispatcher in batches, and applies job
// changes reported by the replicated state. Started when leadership is
// gained (after the barrier) and stopped when it is lost.
//
// Thread safety: safe for concurrent use. JobChanged/ReloadAll never block
// for long (they are called on the raft loop thread); FireSink::OnFires runs
// on the scheduler thread.
#ifndef CKRON_SCHEDULER_SCHEDULER_LOOP_H_
#define CKRON_SCHEDULER_SCHEDULER_LOOP_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "scheduler/scheduler.h"

namespace ckron::scheduler {

// Receives due fires in time order. Runs on the scheduler thread: it should
// queue the work and return (a slow sink delays later fires).
class FireSink {
 public:
  virtual ~FireSink() = default;
  virtual void OnFires(std::vector<FireIntent> fires) = 0;
};

// Fires popped ahead of their instant (SchedulerLoopOptions::lead) pass
// through here: those of jobs whose concurrency is forbid or replace are
// held until their instant, since whether they run (or what they cancel)
// depends on what runs then; the others go on at once. Used by the loop
// and, stepped, by the deterministic simulation.
//
// Thread safety: not thread-safe (one scheduler thread).
class AheadGate {
 public:
  explicit AheadGate(const JobSource* jobs) : jobs_(jobs) {}

  // The fires of `popped` that may go to the sink now, followed by the held
  // ones whose instant is at or before `now`.
  std::vector<FireIntent> Admit(std::vector<FireIntent> popped, absl::Time now);
  // The earliest held instant.
  std::optional<absl::Time> NextHeld() const;
  // Forgets the held fires (a reload queues them again: none was recorded).
  void Clear() { held_.clear(); }

 private:
  bool MayFireAhead(const std::string& job_name) const;

  const JobSource* const jobs_;
  std::multimap<absl::Time, FireIntent> held_;
};

struct SchedulerLoopOptions {
  SchedulerOptions scheduler;
  // Fires handed to the sink per call; larger batches amortise Raft
  // proposals, smaller ones start the first fires of a burst sooner.
  std::size_t batch = 1024;
  // Job changes queued before the loop rebuilds from the state instead of
  // tracking each one (bounds memory under a flood of updates).
  std::size_t max_pending_changes = 100'000;
  // Fires are handed to the sink this long before their instant, so that
  // recording them and sending their runs (armed to start at the instant,
  // DispatcherOptions::arm_ahead) is done by then: a burst of a thousand
  // fires then starts on time instead of draining for tens of ms. Jobs
  // whose concurrency is forbid or replace are held until the instant
  // itself, since their fire depends on what runs then. Zero: at the
  // instant (docs/semantics.md, "Arming ahead").
  absl::Duration lead = absl::ZeroDuration();
};

class SchedulerLoop {
 public:
  // `jobs`, `sink` and `clock` must outlive the loop.
  SchedulerLoop(const JobSource* jobs, FireSink* sink, const Clock* clock,
                SchedulerLoopOptions options = {});
  ~SchedulerLoop();  // Stop()s

  // Loads every job (emitting misfire catch-ups first) and starts firing.
  // REQUIRES: not running.
  void Start();
  // Stops firing. When it returns, the sink is not running and will not be
  // called again until the next Start. Idempotent.
  void Stop();
  bool running() const;

  // A job was created, changed or deleted (an FSM event). Ignored while
  // stopped (Start loads everything).
  void JobChanged(const std::string& name);
  // The whole state was replaced (snapshot restore): reload every job.
  void ReloadAll();

  // For metrics and tests.
  std::uint64_t fires_emitted() const;
  std::uint64_t skipped_fires() const;

 private:
  void Run();

  const JobSource* jobs_;
  FireSink* sink_;
  const Clock* clock_;
  const SchedulerLoopOptions options_;

  // This class behaves like a monitor: mu_ guards everything below.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool running_ = false;
  bool stop_ = false;
  bool reload_ = false;
  std::vector<std::string> changed_;
  std::uint64_t fires_emitted_ = 0;
  std::uint64_t skipped_ = 0;
  std::thread thread_;
};

}  // namespace ckron::scheduler

#endif  // CKRON_SCHEDULER_SCHEDULER_LOOP_H_
