// Dispatcher: recording fires -- scheduled (OnFires), manual (RunNow) and
// dependent (FireChild).
#include <cstdint>
#include <future>
#include <set>
#include <utility>

#include "common/log.h"
#include "dispatcher/dispatcher.h"

namespace ckron::dispatcher {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("dispatcher");
}

constexpr char kForbid[] = "forbid";
constexpr char kReplace[] = "replace";

// A running execution the `replace` policy cancels.
struct ToCancel {
  std::string node;
  std::string job;
  std::string id;
};

}  // namespace

bool Dispatcher::Busy(const fsm::State& s, const std::string& job_name) {
  if (s.RunningCount(job_name) > 0) return true;
  auto p = s.pending_runs().lower_bound(fsm::RunKey{job_name, INT64_MIN, "", 0});
  return p != s.pending_runs().end() && p->first.job_name == job_name;
}

std::vector<std::string> Dispatcher::Targets(const fsm::Job& job,
                                             const std::vector<Candidate>& alive) {
  std::lock_guard lock(mu_);
  return SelectTargets(job.tags, options_.region, alive, rng_);
}

std::optional<Term> Dispatcher::CurrentTerm() const {
  std::lock_guard lock(mu_);
  if (!running_ || stop_) return std::nullopt;
  return term_;
}

void Dispatcher::OnFires(std::vector<scheduler::FireIntent> fires) {
  const std::optional<Term> term = CurrentTerm();
  if (!term || !proposer_->Leads(*term)) return;
  const std::vector<Candidate> alive = AliveMembers();

  // One read of the state for the whole batch.
  std::vector<fsm::RecordFire> records;
  std::vector<ToCancel> cancels;
  std::uint64_t skipped = 0;
  state_->Read([&](const fsm::State& s) {
    std::set<std::string> fired;  // forbid: at most one fire per job per batch
    for (const scheduler::FireIntent& f : fires) {
      std::shared_ptr<const fsm::Job> job = s.ShareJob(f.job_name);
      if (!job) continue;
      // The scheduler queues only enabled jobs inside their window; the job
      // may have been disabled since, and the pause flag is ours to check.
      if (s.paused() || job->disabled) {
        Log()->info("dispatcher: not firing job {} at {}: {}", job->name,
                    absl::FormatTime(f.scheduled),
                    s.paused() ? "the cluster is paused" : "the job is disabled");
        ++skipped;
        continue;
      }
      if (job->concurrency == kForbid && (Busy(s, job->name) || fired.contains(job->name))) {
        // Dkron: "job: Skipping execution" (concurrency forbid).
        Log()->info(
            "dispatcher: skipping fire of job {} at {}: concurrency forbid and it is "
            "still running",
            job->name, absl::FormatTime(f.scheduled));
        ++skipped;
        continue;
      }
      if (job->concurrency == kReplace) {
        for (auto it = s.running().lower_bound({job->name, ""});
             it != s.running().end() && it->first.first == job->name; ++it) {
          cancels.push_back({it->second.node_name, it->first.first, it->first.second});
        }
      }
      fired.insert(job->name);
      fsm::RecordFire r;
      r.job_name = job->name;
      r.scheduled = f.scheduled;
      r.group = absl::ToUnixNanos(f.scheduled);
      r.targets = Targets(*job, alive);
      records.push_back(std::move(r));
    }
  });

  // semantics §4.4 (concurrency=replace): stop the running ones, then fire.
  for (const ToCancel& c : cancels) {
    for (const Candidate& m : alive) {
      auto tag = m.tags.find(kRpcAddrTag);
      if (m.name != c.node || tag == m.tags.end()) continue;
      Log()->info("dispatcher: cancelling execution {} on {} (concurrency replace)", c.id, c.node);
      calls_->CancelExecution(tag->second, c.job, c.id, options_.cancel_timeout);
    }
  }
  {
    std::lock_guard lock(mu_);
    stats_.fires_skipped += skipped;
    stats_.cancels_sent += cancels.size();
  }
  if (records.empty() || !proposer_->Leads(*term)) return;

  // All in flight at once: Raft commits them together. Threaded, wait for
  // the batch so the next one sees these fires (forbid) and the scheduler
  // is paced; stepped, the caller waits through FiresInFlight(). The
  // callbacks touch only the shared batch: one may run inside Propose, or
  // (stepped) after this returns.
  auto batch = std::make_shared<FireBatch>();
  batch->remaining = records.size();
  const absl::Time now = clock_->Now();
  for (fsm::RecordFire& r : records) {
    std::string what = r.job_name + " at " + absl::FormatTime(r.scheduled);
    proposer_->Propose(now, std::move(r), [batch, what = std::move(what)](const Status& s) {
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) {
        Log()->warn("dispatcher: recording the fire of {} failed: {}", what, s.ToString());
      }
      std::lock_guard lock(batch->mu);
      batch->recorded += s.ok();
      if (--batch->remaining == 0) batch->settled.notify_all();
    });
  }
  if (!options_.threaded) {
    std::lock_guard lock(mu_);
    batches_.push_back(std::move(batch));
    return;
  }
  std::uint64_t recorded;
  {
    std::unique_lock lock(batch->mu);
    batch->settled.wait(lock, [&] { return batch->remaining == 0; });
    recorded = batch->recorded;
  }
  std::lock_guard lock(mu_);
  stats_.fires_recorded += recorded;
}

bool Dispatcher::FiresInFlight() {
  std::lock_guard lock(mu_);
  bool in_flight = false;
  std::erase_if(batches_, [&](const std::shared_ptr<FireBatch>& b) {
    std::lock_guard batch_lock(b->mu);
    if (b->remaining > 0) {
      in_flight = true;
      return false;
    }
    stats_.fires_recorded += b->recorded;
    return true;
  });
  return in_flight;
}

Status Dispatcher::RunNow(const std::string& job_name, bool force, absl::Time deadline) {
  const std::optional<Term> term = CurrentTerm();
  if (!term || !proposer_->Leads(*term)) {
    return Status::NotLeader("", "this server does not lead the cluster");
  }
  const std::vector<Candidate> alive = AliveMembers();
  std::shared_ptr<const fsm::Job> job;
  bool busy = false;
  state_->Read([&](const fsm::State& s) {
    job = s.ShareJob(job_name);
    busy = job && Busy(s, job_name);
  });
  if (!job) return Status::NotFound("job \"" + job_name + "\" not found");
  if (job->concurrency == kForbid && busy && !force) {
    return Status::FailedPrecondition("job \"" + job_name +
                                      "\" is running and its concurrency is forbid");
  }
  const absl::Time now = clock_->Now();
  fsm::RecordFire r;
  r.job_name = job_name;
  r.scheduled = now;
  r.group = absl::ToUnixNanos(now);
  r.manual = true;
  r.targets = Targets(*job, alive);
  auto done = std::make_shared<std::promise<Status>>();
  std::future<Status> outcome = done->get_future();
  proposer_->Propose(now, std::move(r), [done](const Status& s) { done->set_value(s); });
  if (outcome.wait_until(absl::ToChronoTime(deadline)) != std::future_status::ready) {
    return Status::Timeout("the manual run of \"" + job_name + "\" was not applied in time");
  }
  Status s = outcome.get();
  if (s.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.fires_recorded;
  }
  return s;
}

// semantics §4.5: a child fires once its parent's group succeeded. It is
// recorded as a manual fire (the child's own schedule is not advanced) under
// the parent's group, so a new leader re-proposing it runs the same ids.
void Dispatcher::FireChild(const fsm::FirePending& fire) {
  const auto key = std::make_pair(fire.job_name, fire.parent_group);
  if (child_fires_.contains(key) || !Leads()) return;
  std::shared_ptr<const fsm::Job> job;
  bool pending = false, busy = false, paused = false;
  state_->Read([&](const fsm::State& s) {
    pending = s.pending_fires().contains(key);
    job = s.ShareJob(fire.job_name);
    busy = job && Busy(s, fire.job_name);
    paused = s.paused();
  });
  if (!pending || !job) return;
  // Dkron runs a child only if it is runnable (dkron-spec §4.1 step 8.5).
  // The pending fire then stays in the state and is looked at again when a
  // later leader starts.
  if (paused || job->disabled || (job->concurrency == kForbid && busy)) {
    Log()->info("dispatcher: not running dependent job {} after group {}: {}", job->name,
                fire.parent_group,
                paused ? "the cluster is paused"
                       : (job->disabled ? "the job is disabled" : "concurrency forbid"));
    std::lock_guard lock(mu_);
    ++stats_.fires_skipped;
    return;
  }
  fsm::RecordFire r;
  r.job_name = fire.job_name;
  r.scheduled = fire.scheduled;
  r.group = fire.parent_group;
  r.manual = true;
  r.parent_group = fire.parent_group;
  r.targets = Targets(*job, AliveMembers());
  child_fires_.insert(key);
  // The callback may outlive this dispatcher: it only touches the box.
  proposer_->Propose(clock_->Now(), std::move(r), [box = settled_, key](const Status& s) {
    if (!s.ok()) {
      Log()->warn("dispatcher: recording the dependent fire of {} failed: {}", key.first,
                  s.ToString());
    }
    std::lock_guard lock(box->mu);
    box->keys.push_back(key);
    box->recorded += s.ok();
  });
}

}  // namespace ckron::dispatcher
