#include "raft/inbound_queue.h"

#include <utility>

#include "common/check.h"

namespace ckron::raft::internal {

InboundQueue::InboundQueue(std::size_t capacity, std::function<void()> wake)
    : capacity_(capacity), wake_(std::move(wake)) {}

Status InboundQueue::Push(Proposal& p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::Cancelled("raft node is not running");
  if (outstanding_ >= capacity_) {
    return Status::ResourceExhausted("raft proposal queue is full (" + std::to_string(capacity_) +
                                     " outstanding)");
  }
  proposals_.push_back(std::move(p));
  ++outstanding_;
  if (wake_) wake_();
  return OkStatus();
}

bool InboundQueue::Post(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return false;
  tasks_.push_back(std::move(task));
  if (wake_) wake_();
  return true;
}

std::size_t InboundQueue::TakeProposals(std::deque<Proposal>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::size_t n = proposals_.size();
  if (out->empty()) {
    out->swap(proposals_);
  } else {
    for (Proposal& p : proposals_) out->push_back(std::move(p));
    proposals_.clear();
  }
  return n;
}

void InboundQueue::TakeTasks(std::deque<std::function<void()>>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& t : tasks_) out->push_back(std::move(t));
  tasks_.clear();
}

void InboundQueue::Release(std::size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  CKRON_CHECK(outstanding_ >= proposals_.size() + n);
  outstanding_ -= n;
}

void InboundQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
}

void InboundQueue::Reopen() {
  std::lock_guard<std::mutex> lock(mu_);
  CKRON_CHECK(proposals_.empty() && tasks_.empty() && outstanding_ == 0);
  closed_ = false;
}

std::size_t InboundQueue::outstanding() const {
  std::lock_guard<std::mutex> lock(mu_);
  return outstanding_;
}

}  // namespace ckron::raft::internal
