#include "api/stream_channel.h"

#include <utility>

namespace ckron::api::internal {

StreamChannel::StreamChannel(std::size_t max_bytes, std::function<void()> wake)
    : max_bytes_(max_bytes), wake_(std::move(wake)) {}

bool StreamChannel::Send(std::string bytes) {
  std::unique_lock lock(mu_);
  if (closed_ || ended_) return false;
  if (unwritten_ + bytes.size() > max_bytes_) return false;
  unwritten_ += bytes.size();
  queued_ += bytes;
  WakeLocked(lock);
  return true;
}

void StreamChannel::End(std::string last) {
  std::unique_lock lock(mu_);
  if (closed_ || ended_) return;
  ended_ = true;
  unwritten_ += last.size();
  queued_ += last;
  WakeLocked(lock);
}

void StreamChannel::WakeLocked(std::unique_lock<std::mutex>& lock) {
  if (wake_pending_ || !wake_) return;
  wake_pending_ = true;
  std::function<void()> wake = wake_;
  lock.unlock();
  wake();
}

std::string StreamChannel::Take(bool* ended) {
  std::lock_guard lock(mu_);
  wake_pending_ = false;
  *ended = ended_;
  return std::exchange(queued_, std::string());
}

void StreamChannel::Written(std::size_t n) {
  std::lock_guard lock(mu_);
  unwritten_ = n > unwritten_ ? 0 : unwritten_ - n;
}

void StreamChannel::Close() {
  std::function<void()> drop;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    drop = std::move(wake_);
    wake_ = nullptr;
    queued_.clear();
  }
}

}  // namespace ckron::api::internal
