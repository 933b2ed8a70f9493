// The invariants of the deterministic simulation (sim.h), checked as the
// simulation reports what happens, after every step, and at the end of a
// seed. The first violation is kept (failure()); the simulation stops there
// and prints the seed and its trace.
//
// After every step / event:
//   raft      one leader per term; a committed entry is never truncated;
//             every server applies the same entry at an index, with the same
//             outcome (the state machine is deterministic).
//   fires     a scheduled fire (job, instant) is recorded at most once.
//   runs      an agent starts at most one execution per (job, scheduled
//             time, node, attempt), under the id RunExecutionId, attempt <=
//             retries + 1; Run requests come only from a server leading the
//             request's term (fencing; checked by the transport).
//   state     fsm::State::CheckInvariants on every server; a `forbid` job
//             never has runs of two fires pending or running at once.
//   catch-up  when a leader loads the jobs, the catch-up fires the
//             scheduler emits are exactly what the misfire policy says for
//             the fires missed since the job's last recorded fire.
// At the end (everything healed, a calm period run):
//   accounting every due fire up to the cutoff was recorded, or was missed
//             as a load's policy said (skip, run_once's older or too old
//             ones), or skipped by `forbid` while an earlier fire was still
//             busy; every catch-up a lasting leader owed was recorded.
//   execution every target of every recorded fire has a committed result;
//             every execution an agent finished was acknowledged and
//             committed, with the agent's result unless the leader had
//             already failed it (lease expiry, failed start); the jobs'
//             success + error counters equal the distinct executions
//             committed finished (each committed once).
//
// Thread safety: not thread-safe; owned by the simulation.
#ifndef CKRON_TESTS_SIM_ORACLE_H_
#define CKRON_TESTS_SIM_ORACLE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/ids.h"
#include "fsm/commands.h"
#include "fsm/state.h"
#include "scheduler/scheduler.h"

namespace ckron::sim {

class Oracle {
 public:
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  // Keeps the first failure.
  void Fail(const std::string& what);

  // --- Raft ---
  void OnElected(Term term, int server, absl::Time now);
  void OnTermEnded(Term term, absl::Time now);
  // `server` is dropping its entry at `index`, which is the committed one
  // (same index and term): always a violation. See CommittedTerm.
  void OnTruncate(int server, std::uint64_t index);
  // The term of the entry committed at `index`, if any server committed it.
  std::optional<Term> CommittedTerm(std::uint64_t index) const {
    auto it = committed_terms_.find(index);
    if (it == committed_terms_.end()) return std::nullopt;
    return it->second;
  }
  // A server applied `index` (not a barrier).
  void OnApply(int server, std::uint64_t index, Term term, const std::string& data,
               const std::string& outcome, absl::Time now);
  // A server's log entry at an index is known committed (barrier included).
  void OnCommitted(std::uint64_t index, Term term, bool barrier);

  // --- Scheduler ---
  // A leader of `term` loaded the jobs at `now` and emitted `catch_up`.
  void OnLoad(Term term, absl::Time now, const fsm::State& state,
              const std::vector<scheduler::FireIntent>& catch_up);

  // --- Agents ---
  // `started_at`: when its executor starts (an armed run: its start_at).
  void OnAgentStart(const fsm::RunKey& key, const std::string& id, std::uint32_t retries,
                    absl::Time started_at);
  void OnAgentFinish(const fsm::Execution& e);

  // --- After every step, per alive server ---
  void CheckState(const std::string& server, const fsm::State& state);

  // --- End of the seed ---
  // `state`: the final leader's, everything applied. Fires due up to
  // `fire_cutoff` are accounted for; fires recorded up to `run_cutoff`
  // must have finished on every target; executions agents finished up to
  // `report_cutoff` must be committed. `undelivered`: reports of those
  // that live agents still hold.
  void CheckEnd(const fsm::State& state, absl::Time fire_cutoff, absl::Time run_cutoff,
                absl::Time report_cutoff, std::size_t undelivered);

  // Counters for the test's summary line.
  std::uint64_t fires_recorded() const { return recorded_.size(); }
  std::uint64_t executions_finished() const { return finished_.size(); }
  std::uint64_t agent_starts() const { return agent_starts_.size(); }
  std::uint64_t loads() const { return loads_.size(); }

 private:
  struct Applied {
    Term term;
    std::string data;
    std::string outcome;
  };
  struct Load {
    Term term;
    absl::Time at;
    std::map<std::string, std::set<absl::Time>> missed;    // job -> missed fires
    std::map<std::string, std::set<absl::Time>> expected;  // job -> catch-ups owed
  };
  struct Group {  // one recorded fire
    std::vector<std::string> targets;
    absl::Time recorded_at;
    std::optional<absl::Time> last_finish;  // commit time of its latest result
  };
  struct Finished {
    bool success = false;
    std::string output;
  };

  void Account(const fsm::Entry& entry, const std::string& outcome, absl::Time now);
  // Whether a `forbid` skip of `job`'s fire at `f` is explained by an
  // earlier fire still busy then.
  bool ForbidBusy(const std::string& job, absl::Time f) const;
  absl::Time TermEnd(Term term) const;

  std::string failure_;
  std::map<Term, int> leaders_;
  std::map<Term, absl::Time> term_end_;
  std::vector<Applied> log_;                       // applied entries by index - 1 (barriers: empty)
  std::map<std::uint64_t, Term> committed_terms_;  // index -> term, every committed entry
  std::uint64_t committed_ = 0;                    // highest index known committed
  std::set<std::pair<std::string, absl::Time>> recorded_;  // scheduled fires recorded
  std::map<std::pair<std::string, std::int64_t>, Group> groups_;
  std::map<std::string, std::int64_t> no_target_;  // job -> fires recorded without targets
  std::map<std::pair<std::string, std::string>, Finished> finished_;  // first committed result
  std::set<std::tuple<std::string, std::int64_t, std::string>>
      finished_runs_;                                             // (job, group, node)
  std::set<std::pair<std::string, std::int64_t>> active_at_end_;  // (job, group)
  std::set<fsm::RunKey> agent_starts_;
  std::map<std::pair<std::string, std::string>, fsm::Execution> agent_results_;
  std::vector<Load> loads_;
  std::map<std::string, std::string> concurrency_;  // job -> policy, from the log
};

}  // namespace ckron::sim

#endif  // CKRON_TESTS_SIM_ORACLE_H_
