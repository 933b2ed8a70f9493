#include "api/event_hub.h"

#include <type_traits>
#include <utility>
#include <variant>

#include "api/json_codec.h"
#include "api/sse.h"

namespace ckron::api {
namespace {

const std::string& OverflowEvent() {
  static const std::string text = SseEvent("overflow", "{}");
  return text;
}

std::string LeaderEvent(const std::optional<std::string>& leader, Term term) {
  return SseEvent("leader", Dump(Json{{"leader", leader ? Json(*leader) : Json(nullptr)},
                                      {"term", term.value()}},
                                 false));
}

}  // namespace

EventHub::EventHub(const replica::ReplicatedState* state, EventHubOptions options)
    : state_(state),
      options_(options),
      leader_event_(LeaderEvent(std::nullopt, Term(0))),
      thread_([this] { RunLoop(); }) {}

EventHub::~EventHub() {
  Stop();
}

std::uint64_t EventHub::Subscribe(std::shared_ptr<StreamSink> sink, std::string job) {
  std::lock_guard lock(mu_);
  if (stopping_) {
    sink->End("");
    return 0;
  }
  const std::uint64_t id = next_id_++;
  // The current leader first, so that no client needs to poll /v1/leader.
  if (!sink->Send(leader_event_)) {
    sink->End(OverflowEvent());
    return id;
  }
  subscribers_[id] = Subscriber{std::move(sink), std::move(job)};
  count_.store(subscribers_.size());
  return id;
}

void EventHub::Unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mu_);
  subscribers_.erase(id);
  count_.store(subscribers_.size());
}

std::size_t EventHub::subscribers() const {
  return count_.load();
}

void EventHub::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, s] : subscribers_) s.sink->End("");
    subscribers_.clear();
    count_.store(0);
    wake_.notify_all();
  }
  thread_.join();
}

void EventHub::SetLeader(std::optional<std::string> leader, Term term) {
  std::string text = LeaderEvent(leader, term);
  std::lock_guard lock(mu_);
  if (stopping_ || text == leader_event_) return;
  leader_event_ = std::move(text);
  Publish("", leader_event_);
}

void EventHub::OnEvents(LogIndex /*index*/, const std::vector<fsm::Event>& events) {
  if (count_.load() == 0) return;  // nobody listens: the raft thread pays nothing
  std::vector<Change> changes;
  auto job_change = [&](const std::string& name) {
    Change c;
    c.kind = Change::Kind::kJob;
    c.job_name = name;
    // Called on the raft thread between two applies: the job as this
    // entry left it (a shared, immutable copy).
    c.job = state_->Read([&](const fsm::State& s) { return s.ShareJob(name); });
    if (c.job) changes.push_back(std::move(c));
  };
  auto execution_change = [&](const std::string& job, const std::string& id) {
    changes.push_back(
        Change{.kind = Change::Kind::kExecution, .job_name = job, .execution_id = id});
  };
  for (const fsm::Event& e : events) {
    std::visit(
        [&](const auto& ev) {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, fsm::JobUpserted>) {
            job_change(ev.name);
          } else if constexpr (std::is_same_v<T, fsm::JobDeleted>) {
            changes.push_back(Change{.kind = Change::Kind::kJobDeleted, .job_name = ev.name});
          } else if constexpr (std::is_same_v<T, fsm::ExecutionStartedEvent> ||
                               std::is_same_v<T, fsm::ExecutionFinishedEvent>) {
            // The job's status and counters change with its executions.
            execution_change(ev.job_name, ev.id);
            job_change(ev.job_name);
          }
          // FireRecorded, PauseChanged, RunPending, FirePending: not shown.
        },
        e);
  }
  if (!changes.empty()) Enqueue(std::move(changes));
}

void EventHub::OnRestored(LogIndex /*index*/) {
  if (count_.load() == 0) return;
  Enqueue({Change{.kind = Change::Kind::kReset}});
}

void EventHub::Enqueue(std::vector<Change> changes) {
  std::lock_guard lock(mu_);
  if (queue_.size() + changes.size() > options_.queue_limit) {
    overflowed_ = true;  // never wait on the raft thread
  } else {
    for (Change& c : changes) queue_.push_back(std::move(c));
  }
  wake_.notify_one();
}

void EventHub::RunLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || overflowed_ || !queue_.empty(); });
    if (stopping_) return;
    if (overflowed_) {
      overflowed_ = false;
      queue_.clear();
      for (auto& [id, s] : subscribers_) s.sink->End(OverflowEvent());
      subscribers_.clear();
      count_.store(0);
      continue;
    }
    Change change = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const std::string text = Encode(change);
    lock.lock();
    if (!text.empty()) Publish(change.job_name, text);
  }
}

std::string EventHub::Encode(const Change& change) const {
  switch (change.kind) {
    case Change::Kind::kJob:
      return SseEvent("job", Dump(JobToJson(*change.job), false));
    case Change::Kind::kJobDeleted:
      return SseEvent("job-deleted", Dump(Json{{"name", change.job_name}}, false));
    case Change::Kind::kReset:
      return SseEvent("reset", "{}");
    case Change::Kind::kExecution: {
      struct View {
        const fsm::ExecutionStore* store;
        absl::TimeZone zone;
      };
      const View v = state_->Read([&](const fsm::State& s) {
        const fsm::Job* job = s.FindJob(change.job_name);
        return View{&s.executions(), job ? JobZone(*job) : absl::UTCTimeZone()};
      });
      auto e = v.store->Get(change.job_name, change.execution_id);
      if (!e) return "";
      // As the list endpoint shows it (with output_truncated).
      return SseEvent("execution", Dump(ExecutionToJson(*e, v.zone, false), false));
    }
  }
  return "";
}

// REQUIRES: mu_ held.
void EventHub::Publish(const std::string& job, const std::string& text) {
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    Subscriber& s = it->second;
    if ((!s.job.empty() && s.job != job && !job.empty()) || s.sink->Send(text)) {
      ++it;
      continue;
    }
    s.sink->End(OverflowEvent());
    it = subscribers_.erase(it);
  }
  count_.store(subscribers_.size());
}

}  // namespace ckron::api
