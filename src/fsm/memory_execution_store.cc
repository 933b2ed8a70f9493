#include "fsm/execution_store.h"

namespace ckron::fsm {

void MemoryExecutionStore::Put(const Execution& execution) {
  std::lock_guard lock(mu_);
  JobExecutions& job = jobs_[execution.job_name];
  for (auto it = job.begin(); it != job.end(); ++it) {
    if (it->second.id == execution.id) {
      job.erase(it);
      break;
    }
  }
  job[{execution.started_at, execution.id}] = execution;
}

std::optional<Execution> MemoryExecutionStore::Get(const std::string& job_name,
                                                   const std::string& id) const {
  std::lock_guard lock(mu_);
  auto job = jobs_.find(job_name);
  if (job == jobs_.end()) return std::nullopt;
  for (const auto& [key, e] : job->second) {
    if (e.id == id) return e;
  }
  return std::nullopt;
}

void MemoryExecutionStore::ScanGroup(const std::string& job_name, std::int64_t group,
                                     const std::function<bool(const Execution&)>& visit) const {
  // A test store: a scan of the job is fine here.
  Scan(job_name, false, [&](const Execution& e) { return e.group != group || visit(e); });
}

void MemoryExecutionStore::Scan(const std::string& job_name, bool with_output,
                                const std::function<bool(const Execution&)>& visit) const {
  std::vector<Execution> copy;
  {
    std::lock_guard lock(mu_);
    auto job = jobs_.find(job_name);
    if (job == jobs_.end()) return;
    for (const auto& [key, e] : job->second) {
      copy.push_back(e);
      if (!with_output) copy.back().output.clear();
    }
  }
  for (const Execution& e : copy) {
    if (!visit(e)) return;
  }
}

std::size_t MemoryExecutionStore::Count(const std::string& job_name) const {
  std::lock_guard lock(mu_);
  auto job = jobs_.find(job_name);
  return job == jobs_.end() ? 0 : job->second.size();
}

void MemoryExecutionStore::Delete(const std::string& job_name, const std::string& id) {
  std::lock_guard lock(mu_);
  auto job = jobs_.find(job_name);
  if (job == jobs_.end()) return;
  for (auto it = job->second.begin(); it != job->second.end(); ++it) {
    if (it->second.id == id) {
      job->second.erase(it);
      break;
    }
  }
  if (job->second.empty()) jobs_.erase(job);
}

void MemoryExecutionStore::Clear() {
  std::lock_guard lock(mu_);
  jobs_.clear();
}

namespace {

class CopiedView final : public ExecutionStore::View {
 public:
  explicit CopiedView(std::vector<Execution> all) : all_(std::move(all)) {}
  void ForEach(const std::function<bool(const Execution&)>& visit) const override {
    for (const Execution& e : all_) {
      if (!visit(e)) return;
    }
  }

 private:
  std::vector<Execution> all_;
};

}  // namespace

std::unique_ptr<const ExecutionStore::View> MemoryExecutionStore::OpenView() const {
  std::lock_guard lock(mu_);
  std::vector<Execution> all;
  for (const auto& [job, executions] : jobs_) {
    for (const auto& [key, e] : executions) all.push_back(e);
  }
  return std::make_unique<CopiedView>(std::move(all));
}

}  // namespace ckron::fsm
