// The scheduler's view of the jobs (scheduler::JobSource) over the
// replicated state: the leader's scheduler reads jobs only through it, so it
// sees exactly what the state machine applied.
//
// Thread safety: safe for concurrent use (reads take the state's lock).
#ifndef CKRON_DISPATCHER_STATE_JOBS_H_
#define CKRON_DISPATCHER_STATE_JOBS_H_

#include <functional>
#include <memory>
#include <string>

#include "replica/replicated_state.h"
#include "scheduler/scheduler.h"

namespace ckron::dispatcher {

class StateJobs final : public scheduler::JobSource {
 public:
  // `state` must outlive this object.
  explicit StateJobs(const replica::ReplicatedState* state) : state_(state) {}

  std::shared_ptr<const fsm::Job> Find(const std::string& name) const override {
    return state_->Read([&](const fsm::State& s) { return s.ShareJob(name); });
  }
  void ForEach(const std::function<void(const fsm::Job&)>& visit) const override {
    state_->Read([&](const fsm::State& s) {
      s.jobs().ForEachByName([&](const fsm::Job& job) {
        visit(job);
        return true;
      });
    });
  }

 private:
  const replica::ReplicatedState* const state_;
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_STATE_JOBS_H_
