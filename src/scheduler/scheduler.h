// The leader's "when": which jobs fire at which instants. A timer queue over
// every scheduled job's next fire, O(log n) per change and per fire, fed only
// by the replicated state (style.md §6): it reads jobs through JobSource and
// is told which ones changed; it never calls Raft or RPCs. What it emits —
// FireIntent{job, scheduled instant} — the dispatcher records and runs.
//
// Semantics (docs/semantics.md §3): a job is queued when it has a schedule,
// is not disabled and has a next fire (NextFire: time zone, starts_at,
// expires_at, @every anchored phase). When leadership is gained, fires that
// fell due while there was no leader are caught up per the job's
// misfire_policy: run_once (default) fires the newest missed one if it is at
// most starting_deadline (60 s) old; skip fires none; run_all fires the
// missed ones oldest first, at most max_catch_up per job (the rest are
// skipped and counted).
//
// Thread safety: not thread-safe; owned by the scheduler loop thread
// (scheduler_loop.h), or driven by hand in tests and simulations.
#ifndef CKRON_SCHEDULER_SCHEDULER_H_
#define CKRON_SCHEDULER_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "fsm/job.h"

namespace ckron::scheduler {

struct FireIntent {
  std::string job_name;
  absl::Time scheduled = absl::UnixEpoch();  // the schedule's instant (not when it was emitted)
  bool catch_up = false;                     // missed while there was no leader
  friend bool operator==(const FireIntent&, const FireIntent&) = default;
};

// Read access to the jobs (implemented over the replicated state).
// Implementations are safe for concurrent use.
class JobSource {
 public:
  virtual ~JobSource() = default;
  // The job as of now, or nullptr if it does not exist.
  virtual std::shared_ptr<const fsm::Job> Find(const std::string& name) const = 0;
  // Visits every job.
  virtual void ForEach(const std::function<void(const fsm::Job&)>& visit) const = 0;
};

struct SchedulerOptions {
  // run_all: the most missed fires caught up per job on one leadership
  // change. Higher: more complete catch-up, a longer burst after an outage.
  int max_catch_up = 100;
  // run_once: the age limit of the newest missed fire when a job does not
  // set starting_deadline.
  absl::Duration default_starting_deadline = absl::Seconds(60);
};

class Scheduler {
 public:
  explicit Scheduler(const JobSource* jobs, SchedulerOptions options = {});

  // (Re)builds the queue from every job as of `now` and returns the catch-up
  // fires the misfire policies ask for, oldest first per job. Fires at or
  // after `now` are queued, not returned.
  std::vector<FireIntent> Load(absl::Time now);

  // The job was created or changed (schedule, time zone, window, disabled)
  // or deleted: re-queues it with its next fire after `now`, or drops it.
  void Refresh(const std::string& name, absl::Time now);

  // Pops the fires due at or before `now`, earliest first, at most `max`,
  // and queues each job's following fire (so a job late by several
  // intervals fires for each of them).
  std::vector<FireIntent> PopDue(absl::Time now, std::size_t max = SIZE_MAX);

  // The earliest queued fire; nullopt when nothing is queued.
  std::optional<absl::Time> NextDue() const;

  std::size_t queued_jobs() const { return active_; }
  // Fires not run because of the misfire policy (skip, run_once outside its
  // deadline, run_all beyond max_catch_up), since construction.
  std::uint64_t skipped_fires() const { return skipped_; }

 private:
  struct Item {  // a heap entry; stale when gen differs from the slot's
    std::int64_t at_ns;
    std::uint32_t slot;
    std::uint32_t gen;
  };
  struct Slot {
    std::string name;
    std::uint32_t gen = 0;
    bool queued = false;
    std::int64_t at_ns = 0;  // valid when queued
  };

  void Queue(const std::string& name, absl::Time at);
  void Unqueue(const std::string& name);
  void CatchUp(const fsm::Job& job, absl::Time now, std::vector<FireIntent>& out);
  void CompactIfStale();

  const JobSource* jobs_;
  SchedulerOptions options_;
  std::vector<Item> heap_;  // min-heap on at_ns
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  absl::flat_hash_map<std::string, std::uint32_t> by_name_;
  std::size_t active_ = 0;  // slots queued
  std::uint64_t skipped_ = 0;
};

}  // namespace ckron::scheduler

#endif  // CKRON_SCHEDULER_SCHEDULER_H_
