#include "node/scheduling.h"

#include <string>
#include <type_traits>
#include <variant>

#include "common/log.h"

namespace ckron::node {

// The scheduler's JobSource over the replicated state.
class Scheduling::StateJobs final : public scheduler::JobSource {
 public:
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

Scheduling::Scheduling(SchedulingOptions options, const replica::ReplicatedState* state,
                       dispatcher::Proposer* proposer, const dispatcher::MemberView* members,
                       const Clock* clock)
    : jobs_(std::make_unique<StateJobs>(state)),
      dispatcher_(std::move(options.dispatcher), state, proposer, members, clock),
      loop_(jobs_.get(), &dispatcher_, clock, options.scheduler) {}

Scheduling::~Scheduling() {
  loop_.Stop();
  dispatcher_.Stop();
}

void Scheduling::EstablishLeadership(Term term) {
  logging::Get("agent")->info("agent: leading term {}: starting the scheduler and dispatcher",
                              term.value());
  dispatcher_.Start(term);
  loop_.Start();
}

void Scheduling::RevokeLeadership(Term term) {
  loop_.Stop();  // no more OnFires once it returns
  dispatcher_.Stop();
  logging::Get("agent")->info("agent: term {} over: scheduler and dispatcher stopped",
                              term.value());
}

void Scheduling::OnEvents(LogIndex, const std::vector<fsm::Event>& events) {
  for (const fsm::Event& e : events) {
    std::visit(
        [&](const auto& ev) {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, fsm::JobUpserted>) {
            if (ev.schedule_changed) loop_.JobChanged(ev.name);
          } else if constexpr (std::is_same_v<T, fsm::JobDeleted>) {
            loop_.JobChanged(ev.name);
          }
        },
        e);
  }
  dispatcher_.OnEvents(events);
}

void Scheduling::OnRestored(LogIndex) {
  loop_.ReloadAll();
  dispatcher_.OnRestored();
}

}  // namespace ckron::node
