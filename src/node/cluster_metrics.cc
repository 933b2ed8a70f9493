#include "node/cluster_metrics.h"

#include <algorithm>
#include <map>
#include <string>
#include <type_traits>
#include <variant>

#include "absl/time/clock.h"

namespace ckron::node {

namespace {

const std::string kOtherJobs = "_other";

}  // namespace

ClusterMetrics::ClusterMetrics(metrics::Metrics* metrics, ClusterMetricsOptions options)
    : m_(metrics),
      options_(options),
      fires_scheduled_(metrics->fires.With({{"kind", "scheduled"}})),
      fires_manual_(metrics->fires.With({{"kind", "manual"}})),
      executions_success_(metrics->executions.With({{"result", "success"}})),
      executions_failed_(metrics->executions.With({{"result", "failed"}})) {
  // Every reason shows from the start (at 0), so rate() works on the first
  // skip.
  for (const char* reason : {"paused", "disabled", "forbid", "no_targets", "misfire"}) {
    m_->fires_skipped.With({{"reason", reason}});
  }
}

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
                .With({{"job_name", JobLabel(e.job_name)}})
                .Increment();
          }
        },
        event);
  }
}

void ClusterMetrics::OnRestored(LogIndex) {}

const std::string& ClusterMetrics::JobLabel(const std::string& job) {
  if (job_series_.contains(job)) return job;
  if (options_.job_series_limit != 0 && job_series_.size() >= options_.job_series_limit) {
    return kOtherJobs;
  }
  job_series_.insert(job);
  return job;
}

void ClusterMetrics::OnApplied(const raft::ApplyContext&, absl::Time proposed) {
  if (!leading_.load(std::memory_order_relaxed)) return;
  m_->raft_commit.Observe(std::max(absl::ZeroDuration(), absl::Now() - proposed));
}

void ClusterMetrics::OnLeaderPhase(std::string_view phase, absl::Duration took) {
  if (phase == "established") {
    m_->leader_establish.Observe(took);
  } else {
    m_->leader_phase.With({{"phase", std::string(phase)}}).Observe(took);
  }
}

void ClusterMetrics::OnSkipTotals(const SkipTotals& totals) {
  auto add = [this](std::uint64_t now, std::uint64_t& last, const char* reason) {
    const std::uint64_t delta = now >= last ? now - last : now;
    last = now;
    if (delta > 0) {
      m_->fires_skipped.With({{"reason", reason}}).Increment(static_cast<double>(delta));
    }
  };
  add(totals.paused, last_skips_.paused, "paused");
  add(totals.disabled, last_skips_.disabled, "disabled");
  add(totals.forbid, last_skips_.forbid, "forbid");
  add(totals.no_targets, last_skips_.no_targets, "no_targets");
  add(totals.misfire, last_skips_.misfire, "misfire");
}

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
