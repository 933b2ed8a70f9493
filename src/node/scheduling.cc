#include "node/scheduling.h"

#include <string>
#include <type_traits>
#include <variant>

#include "common/log.h"
#include "dispatcher/state_jobs.h"

namespace ckron::node {

Scheduling::Scheduling(SchedulingOptions options, const replica::ReplicatedState* state,
                       dispatcher::Proposer* proposer, const dispatcher::MemberView* members,
                       const Clock* clock)
    : jobs_(std::make_unique<dispatcher::StateJobs>(state)),
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
