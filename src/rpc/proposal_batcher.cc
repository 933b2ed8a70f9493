#include "rpc/proposal_batcher.h"

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "common/check.h"

namespace ckron::rpc {

namespace {
// The batcher whose Pump() runs on this thread: a call completing on the
// very thread that is sending (a SendBatch that answers at once) leaves the
// next batch to that Pump's loop instead of recursing into another.
thread_local const void* t_pumping = nullptr;
}  // namespace

struct ProposalBatcher::Item {
  std::string address;
  std::string command;
  absl::Time deadline;
  Done done;
};

ProposalBatcher::ProposalBatcher(SendBatch send, ProposalBatcherOptions options)
    : send_(std::move(send)), options_(options) {
  CKRON_CHECK(options_.max_batch_commands >= 1);
  CKRON_CHECK(options_.max_inflight_batches >= 1);
}

ProposalBatcher::~ProposalBatcher() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return inflight_ == 0 && completing_ == 0; });
}

std::uint64_t ProposalBatcher::batches_sent() const {
  std::lock_guard lock(mu_);
  return batches_sent_;
}

std::size_t ProposalBatcher::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::vector<std::shared_ptr<ProposalBatcher::Item>> ProposalBatcher::TakeBatch(
    std::vector<std::shared_ptr<Item>>* expired) {
  const absl::Time now = absl::Now();
  std::vector<std::shared_ptr<Item>> batch;
  std::string address;
  std::size_t bytes = 0;
  for (auto it = queue_.begin(); it != queue_.end();) {
    Item& item = **it;
    if (item.deadline <= now) {
      expired->push_back(std::move(*it));
      it = queue_.erase(it);
      continue;
    }
    if (batch.empty()) address = item.address;
    if (item.address != address) {
      ++it;
      continue;
    }
    if (batch.size() == options_.max_batch_commands) break;
    if (!batch.empty() && bytes + item.command.size() > options_.max_batch_bytes) break;
    bytes += item.command.size();
    batch.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  return batch;
}

void ProposalBatcher::Pump() {
  if (t_pumping == this) return;  // the loop below, further up this stack, goes on
  const void* const outer = t_pumping;
  t_pumping = this;
  std::unique_lock lock(mu_);
  while (!queue_.empty() && inflight_ < options_.max_inflight_batches) {
    std::vector<std::shared_ptr<Item>> expired;
    std::vector<std::shared_ptr<Item>> batch = TakeBatch(&expired);
    if (!batch.empty()) {
      ++inflight_;
      ++batches_sent_;
    }
    lock.unlock();
    for (const auto& item : expired) {
      item->done(Status::Unavailable("the proposal was not sent to " + item->address +
                                     " before the deadline (calls to it were slow): nothing "
                                     "happened"));
    }
    if (!batch.empty()) {
      std::vector<std::string> commands;
      commands.reserve(batch.size());
      absl::Time deadline = absl::InfinitePast();
      for (const auto& item : batch) {
        commands.push_back(std::move(item->command));
        deadline = std::max(deadline, item->deadline);
      }
      const std::string address = batch.front()->address;
      send_(address, std::move(commands), deadline,
            [this, batch = std::move(batch)](BatchResult results) mutable {
              Complete(std::move(batch), std::move(results));
            });
    }
    lock.lock();
  }
  t_pumping = outer;
}

void ProposalBatcher::Complete(std::vector<std::shared_ptr<Item>> batch, BatchResult results) {
  {
    std::lock_guard lock(mu_);
    --inflight_;
    ++completing_;  // the destructor waits: this still uses the batcher below
  }
  const std::string& address = batch.front()->address;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Item& item = *batch[i];
    if (!results.ok()) {
      item.done(results.status());
    } else if (results->size() != batch.size()) {
      item.done(Status::OutcomeUnknown(address + " answered " + std::to_string(results->size()) +
                                       " results for " + std::to_string(batch.size()) +
                                       " commands; any of them may have been applied"));
    } else {
      item.done(std::move((*results)[i]));
    }
  }
  // A slot is free: send what queued meanwhile.
  Pump();
  std::lock_guard lock(mu_);
  if (--completing_ == 0 && inflight_ == 0) idle_.notify_all();
}

void ProposalBatcher::ProposeAsync(const std::string& address, std::string command,
                                   absl::Time deadline, Done done) {
  if (deadline <= absl::Now()) {
    done(Status::Unavailable("the proposal to " + address +
                             " had passed its deadline before it was queued: nothing happened"));
    return;
  }
  auto item = std::make_shared<Item>();
  item->address = address;
  item->command = std::move(command);
  item->deadline = deadline;
  item->done = std::move(done);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(item));
  }
  Pump();
}

}  // namespace ckron::rpc
