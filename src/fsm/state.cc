#include "fsm/state.h"

#include <algorithm>

namespace ckron::fsm {

const Job* State::FindJob(std::string_view name) const {
  return jobs_.Find(name);
}

std::shared_ptr<const Job> State::ShareJob(std::string_view name) const {
  return jobs_.Share(name);
}

bool State::SameReplicatedMemory(const State& other) const {
  if (jobs_.size() != other.jobs_.size() || running_ != other.running_ ||
      pending_runs_ != other.pending_runs_ || pending_fires_ != other.pending_fires_ ||
      paused_ != other.paused_ || daily_stats_ != other.daily_stats_) {
    return false;
  }
  bool same = true;
  jobs_.ForEachByName([&](const Job& job) {
    const Job* theirs = other.FindJob(job.name);
    same = theirs != nullptr && *theirs == job;
    return same;
  });
  return same;
}

std::size_t State::RunningCount(std::string_view job_name) const {
  std::size_t n = 0;
  for (auto it = running_.lower_bound({std::string(job_name), ""});
       it != running_.end() && it->first.first == job_name; ++it) {
    ++n;
  }
  return n;
}

std::string State::CheckInvariants() const {
  std::string problem;
  jobs_.ForEachByName([&](const Job& job) {
    problem = CheckJob(job);
    return problem.empty();
  });
  if (!problem.empty()) return problem;
  for (const auto& [key, running] : running_) {
    if (FindJob(key.first) == nullptr) return "running execution of a missing job";
    auto stored = executions_->Get(key.first, key.second);
    if (!stored || !stored->running()) return "running execution not stored as running";
  }
  for (const auto& [key, run] : pending_runs_) {
    if (FindJob(key.job_name) == nullptr) return "pending run of a missing job";
  }
  for (const auto& [key, scheduled] : pending_fires_) {
    if (FindJob(key.first) == nullptr) return "pending fire of a missing job";
  }
  return "";
}

std::string State::CheckJob(const Job& job) const {
  const std::string& name = job.name;
  if (FindJob(name) != &job) return "job \"" + name + "\" is not filed under its name";
  if (!job.parent_job.empty()) {
    const Job* parent = FindJob(job.parent_job);
    if (parent == nullptr) return "job \"" + name + "\" has a missing parent";
    if (std::count(parent->dependent_jobs.begin(), parent->dependent_jobs.end(), name) != 1) {
      return "parent \"" + parent->name + "\" does not list \"" + name + "\" exactly once";
    }
  }
  for (const std::string& child : job.dependent_jobs) {
    const Job* c = FindJob(child);
    if (c == nullptr || c->parent_job != name) {
      return "\"" + name + "\" lists \"" + child + "\" which is not its child";
    }
  }
  if (executions_->Count(name) > kMaxExecutionsPerJob + RunningCount(name)) {
    return "job \"" + name + "\" keeps too many executions";
  }
  return "";
}

}  // namespace ckron::fsm
