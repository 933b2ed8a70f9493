#include "node/leader_watch.h"

#include <utility>

namespace ckron::node {

LeaderWatch::LeaderWatch(LeaderWatchOptions options,
                         std::function<std::optional<LeaderView>()> sample,
                         std::function<void(const LeaderView&)> on_change,
                         std::function<void()> slow)
    : options_(options),
      sample_(std::move(sample)),
      on_change_(std::move(on_change)),
      slow_(std::move(slow)) {}

LeaderWatch::~LeaderWatch() {
  Stop();
}

void LeaderWatch::Start() {
  thread_ = std::thread([this] { RunLoop(); });
}

void LeaderWatch::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void LeaderWatch::RunLoop() {
  std::optional<LeaderView> last;
  int turn = 0;
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (std::optional<LeaderView> now = sample_(); now && now != last) {
      on_change_(*now);
      last = std::move(now);
    }
    if (slow_ && ++turn >= options_.slow_every) {
      turn = 0;
      slow_();
    }
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stop_; });
  }
}

}  // namespace ckron::node
