#include "rpc/proposal_batcher.h"

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <utility>

#include "absl/time/clock.h"
#include "common/check.h"

namespace ckron::rpc {

struct ProposalBatcher::Item {
  std::string address;
  std::string command;
  absl::Time deadline;
  bool sent = false;                            // taken into a batch (guarded by mu_)
  std::optional<Result<raft::Applied>> result;  // set once (guarded by mu_)
  std::condition_variable cv;  // signalled when result is set, or to hand over sending
};

ProposalBatcher::ProposalBatcher(SendBatch send, ProposalBatcherOptions options)
    : send_(std::move(send)), options_(options) {
  CKRON_CHECK(options_.max_batch_commands >= 1);
  CKRON_CHECK(options_.max_inflight_batches >= 1);
}

std::uint64_t ProposalBatcher::batches_sent() const {
  std::lock_guard lock(mu_);
  return batches_sent_;
}

std::size_t ProposalBatcher::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::vector<std::shared_ptr<ProposalBatcher::Item>> ProposalBatcher::TakeBatch() {
  const std::string address = queue_.front()->address;
  std::vector<std::shared_ptr<Item>> batch;
  std::size_t bytes = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    Item& item = **it;
    if (item.address != address) {
      ++it;
      continue;
    }
    if (batch.size() == options_.max_batch_commands) break;
    if (!batch.empty() && bytes + item.command.size() > options_.max_batch_bytes) break;
    bytes += item.command.size();
    item.sent = true;
    batch.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  return batch;
}

void ProposalBatcher::SendAndComplete(std::unique_lock<std::mutex>& lock,
                                      std::vector<std::shared_ptr<Item>> batch) {
  ++inflight_;
  ++batches_sent_;
  // Another slot may be free: the caller next in line can send too.
  if (!queue_.empty() && inflight_ < options_.max_inflight_batches) {
    queue_.front()->cv.notify_one();
  }
  std::vector<std::string> commands;
  commands.reserve(batch.size());
  absl::Time deadline = absl::InfinitePast();
  for (const auto& item : batch) {
    commands.push_back(std::move(item->command));
    deadline = std::max(deadline, item->deadline);
  }
  const std::string address = batch.front()->address;
  lock.unlock();
  Result<std::vector<Result<raft::Applied>>> results =
      send_(address, std::move(commands), deadline);
  lock.lock();
  --inflight_;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Item& item = *batch[i];
    if (!results.ok()) {
      item.result = results.status();
    } else if (results->size() != batch.size()) {
      item.result = Status::OutcomeUnknown(
          address + " answered " + std::to_string(results->size()) + " results for " +
          std::to_string(batch.size()) + " commands; any of them may have been applied");
    } else {
      item.result = std::move((*results)[i]);
    }
    item.cv.notify_one();
  }
  // A slot is free: let the oldest waiting caller send the next batch.
  if (!queue_.empty()) queue_.front()->cv.notify_one();
}

Result<raft::Applied> ProposalBatcher::Propose(const std::string& address, std::string command,
                                               absl::Time deadline) {
  auto item = std::make_shared<Item>();
  item->address = address;
  item->command = std::move(command);
  item->deadline = deadline;
  std::unique_lock lock(mu_);
  queue_.push_back(item);
  while (!item->result) {
    if (!item->sent && inflight_ < options_.max_inflight_batches) {
      // This caller sends the oldest commands (its own among them unless
      // commands for another address are older).
      SendAndComplete(lock, TakeBatch());
      continue;
    }
    if (item->cv.wait_until(lock, absl::ToChronoTime(deadline)) == std::cv_status::timeout &&
        !item->result) {
      if (!item->sent) {
        queue_.erase(std::find(queue_.begin(), queue_.end(), item));
        // The caller next in line may be waiting for this one to send.
        if (!queue_.empty() && inflight_ < options_.max_inflight_batches) {
          queue_.front()->cv.notify_one();
        }
        return Status::Unavailable("the proposal was not sent to " + address +
                                   " before the deadline (calls to it were slow): nothing "
                                   "happened");
      }
      return Status::OutcomeUnknown("no answer from " + address +
                                    " before the deadline; the proposal may still be applied");
    }
  }
  return std::move(*item->result);
}

}  // namespace ckron::rpc
