#include "fsm/apply.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <map>
#include <memory>
#include <string>

#include "absl/time/civil_time.h"

namespace ckron::fsm {

// Friend of State: the only code that mutates it.
class Applier {
 public:
  Applier(State& state, absl::Time now) : s_(state), now_(now) {}

  // The rvalue overloads take the command's job or execution instead of
  // copying it (Apply(State&, Entry&&)).
  ApplyResult operator()(const PutJob& cmd) { return Put(cmd.job); }
  ApplyResult operator()(PutJob&& cmd) { return Put(std::move(cmd.job)); }
  ApplyResult operator()(const DeleteJob& cmd);
  ApplyResult operator()(const SetJobDisabled& cmd);
  ApplyResult operator()(const DeleteExecutions& cmd);
  ApplyResult operator()(const RecordFire& cmd);
  ApplyResult operator()(const ExecutionStarted& cmd);
  ApplyResult operator()(const ExecutionFinished& cmd) { return Finish(cmd.execution); }
  ApplyResult operator()(ExecutionFinished&& cmd) { return Finish(std::move(cmd.execution)); }
  ApplyResult operator()(const RenewLeases& cmd);
  ApplyResult operator()(const SetPaused& cmd);
  ApplyResult operator()(const SkipFire& cmd);

 private:
  ApplyResult Put(Job job);
  ApplyResult Finish(Execution e);

  static ApplyResult Refuse(Status status) { return {std::move(status), {}, nullptr}; }
  static Status JobNotFound(const std::string& name) {
    return Status::NotFound("job \"" + name + "\" not found");
  }

  // The job, made private to this state first if a snapshot shares it.
  Job* Find(const std::string& name) { return s_.jobs_.Mutable(name); }
  const Job* Peek(const std::string& name) const { return s_.FindJob(name); }
  void Remove(const Job& job);
  bool GroupComplete(const std::string& job_name, std::int64_t group) const;
  static absl::Duration RetryDelay(const Job& job, const Execution& failed);
  void AddChild(const std::string& parent, const std::string& child);
  void RemoveChild(const std::string& parent, const std::string& child);
  void RecomputeNext(Job& job, absl::Time after);
  std::string GroupStatus(const std::string& job_name, std::int64_t group) const;
  void Prune(const std::string& job_name);

  State& s_;
  const absl::Time now_;
};

namespace {

std::optional<absl::Time> Later(const std::optional<absl::Time>& a,
                                const std::optional<absl::Time>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

// Keeps the last kMaxOutputBytes bytes, as Dkron's circular buffer does.
void CapOutput(std::string& output) {
  if (output.size() > kMaxOutputBytes) output.erase(0, output.size() - kMaxOutputBytes);
}

}  // namespace

// --- Jobs -----------------------------------------------------------------

ApplyResult Applier::Put(Job job) {
  if (Status v = ValidateJob(job); !v.ok()) return Refuse(v);
  if (!job.parent_job.empty()) {
    if (Peek(job.parent_job) == nullptr) {
      return Refuse(Status::NotFound("specified parent job not found"));
    }
    // Refuse a parent chain that leads back to this job: each would trigger
    // the other forever.
    std::string p = job.parent_job;
    for (std::size_t hops = 0; !p.empty() && hops <= s_.jobs_.size(); ++hops) {
      if (p == job.name) {
        return Refuse(Status::InvalidArgument("parent job \"" + job.parent_job +
                                              "\" depends on this job: dependencies would loop"));
      }
      const Job* parent = Peek(p);
      p = parent == nullptr ? "" : parent->parent_job;
    }
  }

  const std::shared_ptr<const Job> old_ptr = s_.ShareJob(job.name);
  const Job* old = old_ptr.get();
  bool schedule_changed = true;
  if (old != nullptr) {
    // Dkron's SetJob merge: computed fields survive an update that carries
    // stale values (e.g. a client that PUTs back what it GOT earlier).
    job.success_count = std::max(old->success_count, job.success_count);
    job.error_count = std::max(old->error_count, job.error_count);
    job.last_success = Later(old->last_success, job.last_success);
    job.last_error = Later(old->last_error, job.last_error);
    if (!old->status.empty()) job.status = old->status;
    job.status_group = old->status_group;
    job.last_fire = old->last_fire;
    job.dependent_jobs = old->dependent_jobs;  // maintained by the server
    schedule_changed = old->schedule != job.schedule || old->timezone != job.timezone;
    job.schedule_anchor = schedule_changed ? now_ : old->schedule_anchor;
  } else {
    // Counters and status from the client are kept on create (restoring a
    // backup); children are linked as they are created.
    job.dependent_jobs.clear();
    job.last_fire.reset();
    job.status_group = 0;
    job.schedule_anchor = now_;
  }
  const bool timing_changed = schedule_changed || old == nullptr || old->disabled != job.disabled ||
                              old->starts_at != job.starts_at || old->expires_at != job.expires_at;
  RecomputeNext(job, job.last_fire ? std::max(now_, *job.last_fire) : now_);

  const std::string old_parent = old != nullptr ? old->parent_job : "";
  const std::string name = job.name;
  const std::string new_parent = job.parent_job;
  s_.jobs_.Put(std::make_shared<const Job>(std::move(job)));
  if (old_parent != new_parent) {
    if (!old_parent.empty()) RemoveChild(old_parent, name);
    if (!new_parent.empty()) AddChild(new_parent, name);
  }
  return {OkStatus(), {JobUpserted{name, timing_changed}}, s_.ShareJob(name)};
}

ApplyResult Applier::operator()(const DeleteJob& cmd) {
  const Job* job = Peek(cmd.name);
  if (job == nullptr) return Refuse(JobNotFound(cmd.name));
  if (!job->dependent_jobs.empty()) {
    return Refuse(Status::FailedPrecondition(
        "could not delete job with dependent jobs, delete children first"));
  }
  std::shared_ptr<const Job> deleted = s_.ShareJob(cmd.name);
  Remove(*deleted);
  return {OkStatus(), {JobDeleted{cmd.name}}, std::move(deleted)};
}

// Removes a job without dependents and everything that refers to it.
void Applier::Remove(const Job& job) {
  const std::string name = job.name;
  if (!job.parent_job.empty()) RemoveChild(job.parent_job, name);
  std::vector<Execution> visited;
  s_.executions_->ScanOldest(name, [&](const Execution& e) {
    visited.push_back(e);
    return true;
  });
  for (const Execution& e : visited) s_.executions_->DeleteVisited(e);
  s_.executions_->ForgetJob(name);
  // Each map is ordered by job name first: erase the job's range, not a
  // walk over every job's entries (a bulk delete of n jobs is not n^2).
  s_.running_.erase(s_.running_.lower_bound({name, ""}),
                    s_.running_.lower_bound({name + '\0', ""}));
  constexpr std::int64_t kFirstGroup = std::numeric_limits<std::int64_t>::min();
  s_.pending_runs_.erase(s_.pending_runs_.lower_bound(RunKey{name, kFirstGroup, "", 0}),
                         s_.pending_runs_.lower_bound(RunKey{name + '\0', kFirstGroup, "", 0}));
  s_.pending_fires_.erase(s_.pending_fires_.lower_bound({name, kFirstGroup}),
                          s_.pending_fires_.lower_bound({name + '\0', kFirstGroup}));
  s_.jobs_.Erase(name);
}

ApplyResult Applier::operator()(const SetJobDisabled& cmd) {
  Job* job = Find(cmd.name);
  if (job == nullptr) return Refuse(JobNotFound(cmd.name));
  const bool changed = job->disabled != cmd.disabled;
  job->disabled = cmd.disabled;
  return {OkStatus(), {JobUpserted{job->name, changed}}, s_.ShareJob(job->name)};
}

ApplyResult Applier::operator()(const DeleteExecutions& cmd) {
  Job* job = Find(cmd.job_name);
  if (job == nullptr) return Refuse(JobNotFound(cmd.job_name));
  std::vector<Execution> visited;
  s_.executions_->ScanOldest(job->name, [&](const Execution& e) {
    if (!e.running()) visited.push_back(e);  // running ones finish normally
    return true;
  });
  for (const Execution& e : visited) s_.executions_->DeleteVisited(e);
  job->success_count = 0;
  job->error_count = 0;
  job->last_success.reset();
  job->last_error.reset();
  return {OkStatus(), {}, s_.ShareJob(job->name)};
}

// --- Fires and executions -------------------------------------------------

ApplyResult Applier::operator()(const RecordFire& cmd) {
  Job* job = Find(cmd.job_name);
  if (job == nullptr) return Refuse(JobNotFound(cmd.job_name));
  // A dependent fire settles its pending fire, once: a second recording (by
  // another leader) or one after SkipFire is refused.
  if (cmd.parent_group != 0 && !s_.pending_fires_.contains({job->name, cmd.parent_group})) {
    return Refuse(Status::AlreadyExists("no pending fire of \"" + job->name + "\" after group " +
                                        std::to_string(cmd.parent_group) +
                                        " (already recorded or skipped)"));
  }
  if (!cmd.manual) {
    if (job->last_fire && cmd.scheduled <= *job->last_fire) {
      return Refuse(Status::AlreadyExists("a fire of \"" + job->name + "\" at or after " +
                                          absl::FormatTime(cmd.scheduled) +
                                          " is already recorded"));
    }
    job->last_fire = cmd.scheduled;
    RecomputeNext(*job, std::max(now_, cmd.scheduled));
  }
  if (cmd.parent_group != 0) s_.pending_fires_.erase({job->name, cmd.parent_group});
  std::vector<Event> events{FireRecorded{job->name, cmd.scheduled, cmd.group, cmd.manual}};
  if (cmd.targets.empty()) {
    // Nothing can run it: say so in its history instead of dropping it.
    Execution e;
    e.job_name = job->name;
    e.started_at = now_;
    e.finished_at = now_;
    e.id = ExecutionKey(now_, "");
    e.group = cmd.group;
    e.output = "no target nodes found to run job " + job->name;
    ApplyResult failed = (*this)(ExecutionFinished{std::move(e)});
    events.insert(events.end(), failed.events.begin(), failed.events.end());
    return {OkStatus(), std::move(events), s_.ShareJob(cmd.job_name)};
  }
  // A fire recorded ahead of its instant (semantics, "Arming ahead") runs
  // at the instant, not before.
  const absl::Time due = cmd.manual ? now_ : std::max(now_, cmd.scheduled);
  for (const std::string& node : cmd.targets) {
    s_.pending_runs_[RunKey{job->name, cmd.group, node, 1}] = PendingRun{due, now_};
    events.push_back(RunPending{job->name, cmd.group, node, 1, due});
  }
  return {OkStatus(), std::move(events), s_.ShareJob(job->name)};
}

ApplyResult Applier::operator()(const ExecutionStarted& cmd) {
  const Execution& e = cmd.execution;
  const Job* job = Peek(e.job_name);
  if (job == nullptr) return Refuse(JobNotFound(e.job_name));
  if (!e.running()) return Refuse(Status::InvalidArgument("a started execution has no finish"));
  if (!s_.executions_->PutIfAbsent(e)) {
    return {OkStatus(), {}, s_.ShareJob(job->name)};  // a retried report
  }
  s_.running_[{e.job_name, e.id}] =
      RunningExecution{e.node_name, e.started_at, e.group, e.attempt, cmd.lease_until};
  s_.pending_runs_.erase(RunKey{e.job_name, e.group, e.node_name, e.attempt});
  Prune(e.job_name);
  return {OkStatus(),
          {ExecutionStartedEvent{e.job_name, e.id, e.node_name, e.group, e.attempt}},
          s_.ShareJob(job->name)};
}

ApplyResult Applier::Finish(Execution e) {
  Job* job = Find(e.job_name);
  if (job == nullptr) {
    return Refuse(
        Status::NotFound("received execution done for a deleted job \"" + e.job_name + "\""));
  }
  if (e.running()) return Refuse(Status::InvalidArgument("a finished execution needs finished_at"));
  // A running or pending run is not finished yet: the usual case, answered
  // without reading the store (a short run's start is often never recorded,
  // dispatcher.h start_record_delay, so its run is still pending).
  const RunKey run{e.job_name, e.group, e.node_name, e.attempt};
  if (!s_.running_.contains({e.job_name, e.id}) && !s_.pending_runs_.contains(run)) {
    if (auto stored = s_.executions_->Get(e.job_name, e.id); stored && !stored->running()) {
      return {OkStatus(), {}, s_.ShareJob(job->name)};  // a retried report: applied once
    }
  }
  CapOutput(e.output);
  s_.executions_->Put(e);
  s_.running_.erase({e.job_name, e.id});
  s_.pending_runs_.erase(run);

  if (e.success) {
    ++job->success_count;
    job->last_success = Later(job->last_success, e.finished_at);
  } else {
    ++job->error_count;
    job->last_error = Later(job->last_error, e.finished_at);
  }
  DayStats& day = s_.daily_stats_[absl::ToCivilDay(*e.finished_at, absl::UTCTimeZone())];
  ++(e.success ? day.success : day.failed);
  while (s_.daily_stats_.size() > static_cast<std::size_t>(kStatsDays)) {
    s_.daily_stats_.erase(s_.daily_stats_.begin());
  }

  std::vector<Event> events;
  // semantics §4.3: a failed run is retried on the same node, up to
  // `retries` more attempts, after a backoff.
  if (!e.success && e.attempt < job->retries + 1 && !e.node_name.empty()) {
    const absl::Time due = *e.finished_at + RetryDelay(*job, e);
    s_.pending_runs_[RunKey{e.job_name, e.group, e.node_name, e.attempt + 1}] =
        PendingRun{due, now_};
    events.push_back(RunPending{e.job_name, e.group, e.node_name, e.attempt + 1, due});
  }

  // The first finished execution of a newer trigger decides its status
  // alone (the usual case: one target, one attempt), without a scan.
  // status_group only grows and every finish raises it to its group, so no
  // other finished execution of this group exists.
  const std::string group_status = e.group > job->status_group
                                       ? (e.success ? kStatusSuccess : kStatusFailed)
                                       : GroupStatus(e.job_name, e.group);
  if (e.group >= job->status_group) {  // a late report of an older trigger keeps the newer status
    job->status = group_status;
    job->status_group = e.group;
  }
  Prune(e.job_name);
  events.insert(events.begin(), ExecutionFinishedEvent{e.job_name, e.id, e.node_name, e.group,
                                                       e.attempt, e.success, group_status});
  std::shared_ptr<const Job> result = s_.ShareJob(job->name);
  if (GroupComplete(e.job_name, e.group) && group_status == kStatusSuccess) {
    // semantics §4.4, §4.5: dependents run after the parent's group
    // succeeded; an ephemeral job is deleted after its first success.
    for (const std::string& child : result->dependent_jobs) {
      const absl::Time scheduled = absl::FromUnixNanos(e.group);
      s_.pending_fires_[{child, e.group}] = scheduled;
      events.push_back(FirePending{child, e.group, scheduled});
    }
    if (result->ephemeral && result->dependent_jobs.empty()) {
      Remove(*result);
      events.push_back(JobDeleted{e.job_name});
    }
  }
  return {OkStatus(), std::move(events), std::move(result)};
}

ApplyResult Applier::operator()(const RenewLeases& cmd) {
  for (const auto& key : cmd.executions) {
    auto it = s_.running_.find(key);
    if (it != s_.running_.end() && it->second.node_name == cmd.node_name) {
      it->second.lease_until = std::max(it->second.lease_until, cmd.until);
    }
  }
  return {OkStatus(), {}, nullptr};
}

ApplyResult Applier::operator()(const SetPaused& cmd) {
  s_.paused_ = cmd.paused;
  return {OkStatus(), {PauseChanged{cmd.paused}}, nullptr};
}

ApplyResult Applier::operator()(const SkipFire& cmd) {
  if (s_.pending_fires_.erase({cmd.job_name, cmd.parent_group}) == 0) {
    return Refuse(Status::NotFound("no pending fire of job " + cmd.job_name + " after group " +
                                   std::to_string(cmd.parent_group)));
  }
  return {OkStatus(), {}, nullptr};
}

// --- Helpers --------------------------------------------------------------

// True when nothing of the trigger is still running or waiting to run.
bool Applier::GroupComplete(const std::string& job_name, std::int64_t group) const {
  for (auto it = s_.running_.lower_bound({job_name, ""});
       it != s_.running_.end() && it->first.first == job_name; ++it) {
    if (it->second.group == group) return false;
  }
  auto p = s_.pending_runs_.lower_bound(RunKey{job_name, group, "", 0});
  return p == s_.pending_runs_.end() || p->first.job_name != job_name || p->first.group != group;
}

// semantics §4.3. With retry_backoff b: b x 2^(attempt-1), at most an hour.
// Without: Dkron's floor(log2(elapsed / 500ms) + attempt) x 500ms, where
// elapsed is how long the failed attempt ran (0 when under 500 ms).
absl::Duration Applier::RetryDelay(const Job& job, const Execution& failed) {
  if (job.retry_backoff) {
    absl::Duration d = *job.retry_backoff;
    for (std::uint32_t i = 1; i < failed.attempt && d < absl::Hours(1); ++i) d *= 2;
    return std::min(d, absl::Hours(1));
  }
  absl::Duration rest;
  const std::int64_t halves =
      absl::IDivDuration(*failed.finished_at - failed.started_at, absl::Milliseconds(500), &rest);
  if (halves <= 0) return absl::ZeroDuration();
  const int log2 = 63 - std::countl_zero(static_cast<std::uint64_t>(halves));
  return absl::Milliseconds(500) * (log2 + static_cast<std::int64_t>(failed.attempt));
}

void Applier::AddChild(const std::string& parent, const std::string& child) {
  const Job* p = Peek(parent);
  if (p == nullptr || std::find(p->dependent_jobs.begin(), p->dependent_jobs.end(), child) !=
                          p->dependent_jobs.end()) {
    return;
  }
  Find(parent)->dependent_jobs.push_back(child);
}

void Applier::RemoveChild(const std::string& parent, const std::string& child) {
  const Job* p = Peek(parent);
  if (p == nullptr || std::count(p->dependent_jobs.begin(), p->dependent_jobs.end(), child) == 0) {
    return;
  }
  std::erase(Find(parent)->dependent_jobs, child);
}

void Applier::RecomputeNext(Job& job, absl::Time after) {
  const auto next = NextFire(job, after);
  job.next_known = next.has_value();
  job.next = next.value_or(absl::UnixEpoch());
}

// The status of one trigger: for each node its latest attempt counts, so a
// retry that succeeds makes the group a success (brief: "retries that
// succeed count as success"; Dkron reports partially_failed).
std::string Applier::GroupStatus(const std::string& job_name, std::int64_t group) const {
  std::map<std::string, std::pair<std::uint32_t, bool>> latest;  // node -> (attempt, success)
  s_.executions_->ScanGroup(job_name, group, [&](const Execution& x) {
    if (!x.running()) {
      auto [it, inserted] = latest.try_emplace(x.node_name, x.attempt, x.success);
      if (!inserted && x.attempt >= it->second.first) it->second = {x.attempt, x.success};
    }
    return true;
  });
  int ok = 0, failed = 0;
  for (const auto& [node, result] : latest) ++(result.second ? ok : failed);
  if (failed == 0) return kStatusSuccess;
  if (ok == 0) return kStatusFailed;
  return kStatusPartiallyFailed;
}

// Keeps at most kMaxExecutionsPerJob executions, dropping the oldest finished
// ones; running executions are never dropped.
void Applier::Prune(const std::string& job_name) {
  std::size_t count = s_.executions_->Count(job_name);
  if (count <= kMaxExecutionsPerJob) return;
  std::vector<Execution> drop;
  s_.executions_->ScanOldest(job_name, [&](const Execution& x) {
    if (!x.running()) {
      drop.push_back(x);
      --count;
    }
    return count > kMaxExecutionsPerJob;
  });
  for (const Execution& x : drop) s_.executions_->DeleteVisited(x);
}

ApplyResult Apply(State& state, const Entry& entry) {
  Applier applier(state, entry.now);
  return std::visit(applier, entry.command);
}

ApplyResult Apply(State& state, Entry&& entry) {
  Applier applier(state, entry.now);
  return std::visit(applier, std::move(entry.command));
}

}  // namespace ckron::fsm
