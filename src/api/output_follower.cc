#include "api/output_follower.h"

#include <algorithm>
#include <vector>

#include "api/json_codec.h"
#include "api/sse.h"

namespace ckron::api::internal {
namespace {

std::string OutputEvent(std::string_view chunk) {
  return SseEvent("output", Dump(Json{{"chunk", std::string(chunk)}}, false));
}

std::string ErrorEvent(const std::string& message) {
  return SseEvent("error", Dump(Json{{"message", message}}, false));
}

}  // namespace

std::string NewOutput(std::string_view sent, std::string_view now) {
  if (now.substr(0, sent.size()) == sent) return std::string(now.substr(sent.size()));
  for (std::size_t k = std::min(sent.size(), now.size()); k > 0; --k) {
    if (sent.substr(sent.size() - k) == now.substr(0, k)) return std::string(now.substr(k));
  }
  return std::string(now);
}

OutputFollower::OutputFollower(Backend* backend, absl::Duration poll_interval)
    : backend_(backend), poll_interval_(poll_interval), thread_([this] { RunLoop(); }) {}

OutputFollower::~OutputFollower() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [key, f] : follows_) f.sink->End("");
    follows_.clear();
    wake_.notify_all();
  }
  thread_.join();
}

std::uint64_t OutputFollower::Add(std::shared_ptr<StreamSink> sink, std::string job,
                                  std::string id) {
  std::lock_guard lock(mu_);
  if (stopping_) {
    sink->End("");
    return 0;
  }
  const std::uint64_t key = next_id_++;
  follows_[key] = Follow{.sink = std::move(sink), .job = std::move(job), .id = std::move(id)};
  added_ = true;
  wake_.notify_all();
  return key;
}

void OutputFollower::Remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  follows_.erase(id);
}

void OutputFollower::RunLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, absl::ToChronoMilliseconds(poll_interval_),
                   [&] { return stopping_ || added_; });
    if (stopping_) return;
    added_ = false;
    std::vector<std::pair<std::uint64_t, Follow>> snapshot(follows_.begin(), follows_.end());
    lock.unlock();
    LiveCache live;
    for (const auto& [key, f] : snapshot) Poll(key, f, live);
    lock.lock();
  }
}

bool OutputFollower::Poll(std::uint64_t key, const Follow& snapshot, LiveCache& live_cache) {
  const std::string& job = snapshot.job;
  const std::string& id = snapshot.id;
  struct View {
    const fsm::ExecutionStore* store;
    absl::TimeZone zone;
  };
  const View v = backend_->state().Read([&](const fsm::State& s) {
    const fsm::Job* j = s.FindJob(job);
    return View{&s.executions(), j ? JobZone(*j) : absl::UTCTimeZone()};
  });
  const auto e = v.store->Get(job, id);
  std::string send, last;
  bool end = false;
  std::string sent = snapshot.sent;
  if (!e) {
    end = true;
    last = ErrorEvent("execution \"" + id + "\" of job \"" + job + "\" no longer exists");
  } else if (e->running()) {
    auto cached = live_cache.find({job, id});
    if (cached == live_cache.end()) {
      cached = live_cache.emplace(std::make_pair(job, id), backend_->LiveOutput(job, id)).first;
    }
    if (const std::optional<std::string>& live = cached->second) {
      const std::string fresh = NewOutput(sent, *live);
      if (!fresh.empty()) send = OutputEvent(fresh);
      sent = *live;
    }
  } else {
    const std::string fresh = NewOutput(sent, e->output);
    if (!fresh.empty()) last = OutputEvent(fresh);
    last += SseEvent("done", Dump(ExecutionToJson(*e, v.zone), false));
    end = true;
  }

  std::lock_guard lock(mu_);
  auto it = follows_.find(key);
  if (it == follows_.end()) return false;  // removed meanwhile
  Follow& f = it->second;
  f.sent = std::move(sent);
  if (!send.empty() && !f.sink->Send(send)) {
    f.sink->End(SseEvent("overflow", "{}"));
    follows_.erase(it);
    return false;
  }
  if (end) {
    f.sink->End(last);
    follows_.erase(it);
    return false;
  }
  return true;
}

}  // namespace ckron::api::internal
