#include "tests/sim/oracle.h"

#include <algorithm>
#include <type_traits>
#include <variant>

#include "absl/strings/match.h"
#include "fsm/apply.h"
#include "fsm/codec.h"

namespace ckron::sim {
namespace {

std::string T(absl::Time t) {
  return absl::FormatTime("%H:%M:%E3S", t, absl::UTCTimeZone());
}

// Every fire of `job` strictly after `after` and strictly before `before`.
std::vector<absl::Time> FiresBetween(const fsm::Job& job, absl::Time after, absl::Time before) {
  std::vector<absl::Time> out;
  for (auto f = fsm::NextFire(job, after); f && *f < before && out.size() < 100'000;
       f = fsm::NextFire(job, *f)) {
    out.push_back(*f);
  }
  return out;
}

// semantics §3: what the policy owes for `missed` (oldest first) at `now`.
std::set<absl::Time> Owed(const fsm::Job& job, const std::vector<absl::Time>& missed,
                          absl::Time now) {
  const std::string policy = job.misfire_policy.empty() ? "run_once" : job.misfire_policy;
  std::set<absl::Time> owed;
  if (missed.empty() || policy == "skip") return owed;
  if (policy == "run_all") {
    for (std::size_t i = 0; i < missed.size() && i < 100; ++i) owed.insert(missed[i]);
    return owed;
  }
  const absl::Duration deadline = job.starting_deadline.value_or(absl::Seconds(60));
  if (now - missed.back() <= deadline) owed.insert(missed.back());
  return owed;
}

// Verdicts compared (the bytes of the job they carry may differ with
// protobuf's map order; the states themselves are compared at the end).
bool SameOutcome(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const fsm::Outcome x = fsm::DecodeOutcome(a), y = fsm::DecodeOutcome(b);
  return x.status.code() == y.status.code() && x.status.message() == y.status.message();
}

bool LeaderFailed(const std::string& output) {
  return absl::StartsWith(output, "execution lost:") ||
         absl::StartsWith(output, "ckron: could not start");
}

}  // namespace

void Oracle::Fail(const std::string& what) {
  if (failure_.empty()) failure_ = what;
}

// --- Raft -------------------------------------------------------------------

void Oracle::OnElected(Term term, int server, absl::Time) {
  auto [it, inserted] = leaders_.try_emplace(term, server);
  if (!inserted && it->second != server) {
    Fail("two leaders in term " + std::to_string(term.value()) + ": s" +
         std::to_string(it->second) + " and s" + std::to_string(server));
  }
}

void Oracle::OnTermEnded(Term term, absl::Time now) {
  term_end_.try_emplace(term, now);
}

void Oracle::OnTruncate(int server, std::uint64_t index) {
  // Callers pass the first dropped index whose term matches a committed
  // entry's (Log Matching: same index and term, same entry).
  Fail("s" + std::to_string(server) + " dropped committed entry " + std::to_string(index));
}

void Oracle::OnCommitted(std::uint64_t index, Term term, bool) {
  auto [it, inserted] = committed_terms_.try_emplace(index, term);
  if (!inserted && it->second != term) {
    Fail("entry " + std::to_string(index) + " committed with terms " +
         std::to_string(it->second.value()) + " and " + std::to_string(term.value()));
  }
  committed_ = std::max(committed_, index);
}

void Oracle::OnApply(int server, std::uint64_t index, Term term, const std::string& data,
                     const std::string& outcome, absl::Time now) {
  if (index <= log_.size()) {
    const Applied& a = log_[index - 1];
    if (a.term != term || a.data != data || !SameOutcome(a.outcome, outcome)) {
      Fail("s" + std::to_string(server) + " applied entry " + std::to_string(index) +
           (a.term != term || a.data != data ? " differently from another server"
                                             : " with another outcome (non-deterministic apply)"));
    }
    return;
  }
  if (index != log_.size() + 1) {
    Fail("s" + std::to_string(server) + " applied entry " + std::to_string(index) +
         " out of order");
    return;
  }
  log_.push_back({term, data, outcome});
  if (data.empty()) return;  // a barrier
  auto entry = fsm::DecodeEntry(data);
  if (!entry.ok()) {
    Fail("undecodable entry " + std::to_string(index));
    return;
  }
  Account(*entry, outcome, now);
}

void Oracle::Account(const fsm::Entry& entry, const std::string& outcome, absl::Time now) {
  const Status status = fsm::DecodeOutcome(outcome).status;
  if (!status.ok()) return;
  std::visit(
      [&](const auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, fsm::PutJob>) {
          concurrency_[c.job.name] = c.job.concurrency;
        } else if constexpr (std::is_same_v<C, fsm::RecordFire>) {
          if (!c.manual) {
            if (!recorded_.insert({c.job_name, c.scheduled}).second) {
              Fail("fire of " + c.job_name + " at " + T(c.scheduled) + " recorded twice");
            }
          }
          Group& g = groups_[{c.job_name, c.group}];
          g.targets = c.targets;
          g.recorded_at = now;
          if (c.targets.empty()) {
            ++no_target_[c.job_name];
            g.last_finish = now;
          }
        } else if constexpr (std::is_same_v<C, fsm::ExecutionFinished>) {
          const fsm::Execution& e = c.execution;
          finished_.try_emplace({e.job_name, e.id}, Finished{e.success, e.output});
          finished_runs_.insert({e.job_name, e.group, e.node_name});
          groups_[{e.job_name, e.group}].last_finish = now;
        }
      },
      entry.command);
}

// --- Scheduler --------------------------------------------------------------

void Oracle::OnLoad(Term term, absl::Time now, const fsm::State& state,
                    const std::vector<scheduler::FireIntent>& catch_up) {
  std::map<std::string, std::set<absl::Time>> emitted;
  for (const scheduler::FireIntent& f : catch_up) {
    if (!f.catch_up) Fail("Load emitted a fire not marked catch_up: " + f.job_name);
    emitted[f.job_name].insert(f.scheduled);
  }
  Load load{term, now, {}, {}};
  state.jobs().ForEachByName([&](const fsm::Job& job) {
    if (job.disabled || job.schedule.empty()) return true;
    const absl::Time ref = job.last_fire.value_or(job.schedule_anchor);
    const std::vector<absl::Time> missed = FiresBetween(job, ref, now);
    std::set<absl::Time> owed = Owed(job, missed, now);
    if (owed != emitted[job.name]) {
      Fail("term " + std::to_string(term.value()) + " load at " + T(now) + ": job " + job.name +
           " (" + job.misfire_policy + ") missed " + std::to_string(missed.size()) +
           " fire(s) since " + T(ref) + "; the policy owes " + std::to_string(owed.size()) +
           ", the scheduler emitted " + std::to_string(emitted[job.name].size()));
    }
    load.missed[job.name] = {missed.begin(), missed.end()};
    load.expected[job.name] = std::move(owed);
    return true;
  });
  loads_.push_back(std::move(load));
}

// --- Agents -----------------------------------------------------------------

void Oracle::OnAgentStart(const fsm::RunKey& key, const std::string& id, std::uint32_t retries,
                          absl::Time started_at) {
  const std::string what = key.job_name + " " + id;
  // The group is the scheduled instant (a manual or dependent run: when it
  // was recorded): armed ahead or not, no run starts before it.
  if (started_at < absl::FromUnixNanos(key.group)) {
    Fail("agent started " + what + " at " + T(started_at) + ", before its instant " +
         T(absl::FromUnixNanos(key.group)));
  }
  if (id != fsm::RunExecutionId(key.group, key.attempt, key.node_name)) {
    Fail("agent ran " + what + " under a wrong id");
  }
  if (key.attempt > retries + 1)
    Fail("agent ran attempt " + std::to_string(key.attempt) + " of " + what);
  if (!agent_starts_.insert(key).second) {
    Fail("execution " + what + " started twice (job, scheduled time, node, attempt)");
  }
}

void Oracle::OnAgentFinish(const fsm::Execution& e) {
  agent_results_[{e.job_name, e.id}] = e;
}

// --- Every step -------------------------------------------------------------

void Oracle::CheckState(const std::string& server, const fsm::State& state) {
  if (std::string problem = state.CheckInvariants(); !problem.empty()) {
    Fail(server + ": state invariant: " + problem);
    return;
  }
  // semantics §4.4 (forbid): one fire's runs at a time.
  std::map<std::string, std::set<std::int64_t>> busy;
  for (const auto& [key, run] : state.pending_runs()) busy[key.job_name].insert(key.group);
  for (const auto& [key, run] : state.running()) busy[key.first].insert(run.group);
  for (const auto& [job, groups] : busy) {
    const fsm::Job* j = state.FindJob(job);
    if (j != nullptr && j->concurrency == "forbid" && groups.size() > 1) {
      Fail(server + ": forbid job " + job + " has " + std::to_string(groups.size()) +
           " fires pending or running at once");
    }
  }
}

// --- End of the seed --------------------------------------------------------

absl::Time Oracle::TermEnd(Term term) const {
  auto it = term_end_.find(term);
  return it == term_end_.end() ? absl::InfiniteFuture() : it->second;
}

bool Oracle::ForbidBusy(const std::string& job, absl::Time f) const {
  const std::int64_t limit = absl::ToUnixNanos(f);
  for (auto it = groups_.lower_bound({job, INT64_MIN});
       it != groups_.end() && it->first.first == job && it->first.second < limit; ++it) {
    if (!it->second.last_finish || *it->second.last_finish >= f ||
        active_at_end_.contains(it->first)) {
      return true;
    }
  }
  return false;
}

void Oracle::CheckEnd(const fsm::State& state, absl::Time fire_cutoff, absl::Time run_cutoff,
                      absl::Time report_cutoff, std::size_t undelivered) {
  if (undelivered > 0) {
    Fail(std::to_string(undelivered) + " finished execution(s) never acknowledged");
  }
  for (const auto& [key, run] : state.pending_runs())
    active_at_end_.insert({key.job_name, key.group});
  for (const auto& [key, run] : state.running()) active_at_end_.insert({key.first, run.group});

  // Accounting: every due fire is recorded or missed as the policy says.
  state.jobs().ForEachByName([&](const fsm::Job& job) {
    if (job.schedule.empty()) return true;
    const bool forbid = job.concurrency == "forbid";
    for (absl::Time f : FiresBetween(job, job.schedule_anchor, fire_cutoff)) {
      if (recorded_.contains({job.name, f})) continue;
      bool missed_by_policy = false;
      for (const Load& l : loads_) {
        auto m = l.missed.find(job.name);
        if (m != l.missed.end() && m->second.contains(f) && !l.expected.at(job.name).contains(f)) {
          missed_by_policy = true;
          break;
        }
      }
      if (missed_by_policy || (forbid && ForbidBusy(job.name, f))) continue;
      Fail("fire of " + job.name + " due at " + T(f) +
           " was neither recorded nor missed as its policy says");
      return false;
    }
    return true;
  });
  // Catch-ups owed by a leader that kept leading long enough were recorded.
  for (const Load& l : loads_) {
    if (TermEnd(l.term) < l.at + absl::Seconds(15)) continue;
    for (const auto& [job, owed] : l.expected) {
      for (absl::Time f : owed) {
        if (recorded_.contains({job, f})) continue;
        if (concurrency_[job] == "forbid" && ForbidBusy(job, f)) continue;
        Fail("term " + std::to_string(l.term.value()) + " owed the catch-up of " + job + " at " +
             T(f) + " but it was never recorded");
      }
    }
  }
  // Every target of every recorded fire has a result.
  for (const auto& [key, g] : groups_) {
    if (g.recorded_at > run_cutoff) continue;
    for (const std::string& node : g.targets) {
      if (!finished_runs_.contains({key.first, key.second, node})) {
        Fail("the run of " + key.first + " group " + std::to_string(key.second) + " on " + node +
             " (recorded at " + T(g.recorded_at) + ") never finished");
      }
    }
  }
  // Every execution an agent finished was committed, once, with its result.
  for (const auto& [key, e] : agent_results_) {
    if (*e.finished_at > report_cutoff) continue;
    auto it = finished_.find(key);
    if (it == finished_.end()) {
      if (state.FindJob(key.first) != nullptr) {
        Fail("execution " + key.first + " " + key.second + " finished on " + e.node_name +
             " but was never committed");
      }
      continue;
    }
    if (it->second.success != e.success && !LeaderFailed(it->second.output)) {
      Fail("execution " + key.first + " " + key.second + " committed with another result");
    }
  }
  std::map<std::string, std::int64_t> distinct;
  for (const auto& [key, f] : finished_) ++distinct[key.first];
  state.jobs().ForEachByName([&](const fsm::Job& job) {
    const std::int64_t expected = distinct[job.name] + no_target_[job.name];
    if (job.success_count + job.error_count != expected) {
      Fail("job " + job.name + " counts " + std::to_string(job.success_count + job.error_count) +
           " finished executions, the log has " + std::to_string(expected) + " distinct");
    }
    return true;
  });
}

}  // namespace ckron::sim
