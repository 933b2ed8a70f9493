// Where execution records (and their outputs) live. They are part of the
// replicated state but are not held in RAM: the production store is on disk
// (storage/), tests use MemoryExecutionStore. Only the state machine's apply
// thread writes; readers (API) may read concurrently.
//
// Failure contract: a store that cannot write must stop the process
// (fail-stop): a partially applied entry would make this server's state
// differ from its peers'. Methods therefore return no Status.
#ifndef CKRON_FSM_EXECUTION_STORE_H_
#define CKRON_FSM_EXECUTION_STORE_H_

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "fsm/job.h"

namespace ckron::fsm {

// Implementations are safe for one writer and concurrent readers.
class ExecutionStore {
 public:
  virtual ~ExecutionStore() = default;

  // Inserts or replaces the execution (key: job_name + id).
  virtual void Put(const Execution& execution) = 0;
  // Inserts the execution unless one with its key is stored; returns
  // whether it did. May cost less than Contains then Put.
  virtual bool PutIfAbsent(const Execution& execution) {
    if (Contains(execution.job_name, execution.id)) return false;
    Put(execution);
    return true;
  }
  virtual std::optional<Execution> Get(const std::string& job_name,
                                       const std::string& id) const = 0;
  // Whether the execution is stored; may cost less than Get.
  virtual bool Contains(const std::string& job_name, const std::string& id) const {
    return Get(job_name, id).has_value();
  }
  // Visits the job's executions oldest first (by started_at, then id) until
  // `visit` returns false. `with_output` false may skip loading outputs.
  virtual void Scan(const std::string& job_name, bool with_output,
                    const std::function<bool(const Execution&)>& visit) const = 0;
  // Scan without outputs, for the writer (the apply thread) only, which
  // prunes a job's oldest executions on every result: it may remember where
  // the job's oldest live execution is, so that the executions deleted
  // before it cost the next call nothing.
  virtual void ScanOldest(const std::string& job_name,
                          const std::function<bool(const Execution&)>& visit) {
    Scan(job_name, false, visit);
  }
  // Visits the executions of one trigger of the job (Execution::group),
  // without output, in no set order, until `visit` returns false. Costs what
  // that group holds, not what the job holds: it runs on every result.
  virtual void ScanGroup(const std::string& job_name, std::int64_t group,
                         const std::function<bool(const Execution&)>& visit) const = 0;
  virtual std::size_t Count(const std::string& job_name) const = 0;
  virtual void Delete(const std::string& job_name, const std::string& id) = 0;
  // Deletes an execution as Scan or ScanGroup just visited it (its
  // started_at and group are those stored), which may save the read that
  // finds its keys. REQUIRES: no write to it since that visit.
  virtual void DeleteVisited(const Execution& visited) { Delete(visited.job_name, visited.id); }
  // The job is gone and its executions with it (all deleted): drops what
  // the store keeps in memory about it, so that jobs created and deleted
  // by the million (ephemeral ones) leave nothing behind.
  virtual void ForgetJob(const std::string& /*job_name*/) {}
  // Removes everything (before a snapshot is restored).
  virtual void Clear() = 0;

  // A frozen, consistent picture of every execution, unaffected by later
  // writes; may be read on another thread while writes continue.
  class View {
   public:
    virtual ~View() = default;
    // Visits every execution (with output) until `visit` returns false.
    virtual void ForEach(const std::function<bool(const Execution&)>& visit) const = 0;
  };
  virtual std::unique_ptr<const View> OpenView() const = 0;
};

// In memory, for tests and simulations. Safe for concurrent use.
class MemoryExecutionStore final : public ExecutionStore {
 public:
  void Put(const Execution& execution) override;
  std::optional<Execution> Get(const std::string& job_name, const std::string& id) const override;
  void Scan(const std::string& job_name, bool with_output,
            const std::function<bool(const Execution&)>& visit) const override;
  void ScanGroup(const std::string& job_name, std::int64_t group,
                 const std::function<bool(const Execution&)>& visit) const override;
  std::size_t Count(const std::string& job_name) const override;
  void Delete(const std::string& job_name, const std::string& id) override;
  void Clear() override;
  std::unique_ptr<const View> OpenView() const override;

 private:
  // Per job: (started_at, id) -> execution, so iteration is oldest first.
  using JobExecutions = std::map<std::pair<absl::Time, std::string>, Execution>;
  mutable std::mutex mu_;
  std::map<std::string, JobExecutions> jobs_;  // guarded by mu_
};

}  // namespace ckron::fsm

#endif  // CKRON_FSM_EXECUTION_STORE_H_
