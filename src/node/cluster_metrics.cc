#include "node/cluster_metrics.h"

#include <map>
#include <string>
#include <type_traits>
#include <variant>

namespace ckron::node {

ClusterMetrics::ClusterMetrics(metrics::Metrics* metrics)
    : m_(metrics),
      fires_scheduled_(metrics->fires.With({{"kind", "scheduled"}})),
      fires_manual_(metrics->fires.With({{"kind", "manual"}})),
      executions_success_(metrics->executions.With({{"result", "success"}})),
      executions_failed_(metrics->executions.With({{"result", "failed"}})) {}

void ClusterMetrics::OnEvents(LogIndex, const std::vector<fsm::Event>& events) {
  const bool leading = leading_.load(std::memory_order_relaxed);
  for (const fsm::Event& event : events) {
    std::visit(
        [&](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<E, fsm::FireRecorded>) {
            if (leading) (e.manual ? fires_manual_ : fires_scheduled_).Increment();
          } else if constexpr (std::is_same_v<E, fsm::ExecutionFinishedEvent>) {
            if (leading) (e.success ? executions_success_ : executions_failed_).Increment();
            (e.success ? m_->job_executions_succeeded : m_->job_executions_failed)
                .With({{"job_name", e.job_name}})
                .Increment();
          }
        },
        event);
  }
}

void ClusterMetrics::OnRestored(LogIndex) {}

void ClusterMetrics::EstablishLeadership(Term) {
  leading_.store(true, std::memory_order_relaxed);
  m_->raft_leader.Set(1);
  m_->scheduler_start.Increment();
}

void ClusterMetrics::RevokeLeadership(Term) {
  leading_.store(false, std::memory_order_relaxed);
  m_->raft_leader.Set(0);
}

void ClusterMetrics::OnMemberEvent(const membership::MemberEvent& event,
                                   const std::vector<membership::MemberInfo>& members) {
  m_->events_received.With({{"event", membership::MemberEventTypeName(event.type)}}).Increment();
  std::map<std::string, int> by_state = {{"alive", 0}, {"leaving", 0}, {"left", 0}, {"failed", 0}};
  for (const membership::MemberInfo& info : members) {
    ++by_state[membership::MemberStateName(info.status)];
  }
  for (const auto& [state, n] : by_state) m_->gossip_members.With({{"state", state}}).Set(n);
}

}  // namespace ckron::node
