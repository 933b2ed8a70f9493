#include "membership/broadcast_queue.h"

#include <algorithm>
#include <cmath>

namespace ckron::membership {

int BroadcastQueue::RetransmitLimit(int mult, int num_nodes) {
  const double scale = std::ceil(std::log10(static_cast<double>(num_nodes) + 1.0));
  return mult * static_cast<int>(scale);
}

void BroadcastQueue::Queue(std::string key, std::string msg, std::function<void()> finished) {
  if (!key.empty()) {
    if (auto k = by_key_.find(key); k != by_key_.end()) {
      auto it = items_.find(k->second);
      auto done = std::move(it->second.finished);
      items_.erase(it);
      by_key_.erase(k);
      if (done) done();
    }
  }
  const Order order{0, ~(++next_id_)};
  if (!key.empty()) by_key_[key] = order;
  items_.emplace(order, Item{std::move(key), std::move(msg), std::move(finished)});
}

bool BroadcastQueue::HasFresh() const {
  return !items_.empty() && items_.begin()->first.first == 0;
}

std::vector<std::string> BroadcastQueue::Get(int overhead, int limit, int num_nodes,
                                             int sent_below) {
  std::vector<std::string> out;
  if (items_.empty()) return out;
  const int max_transmits = std::max(1, RetransmitLimit(retransmit_mult_, num_nodes));
  int used = 0;
  // Taken messages are re-keyed by moving their map nodes (no allocation);
  // they go back in after the scan so one Get never sends a message twice.
  std::vector<decltype(items_)::node_type> taken;
  int misses = 0;
  for (auto it = items_.begin(); it != items_.end() && misses < 32;) {
    if (it->first.first >= sent_below) break;  // ordered by transmissions: the rest are older news
    const int need = static_cast<int>(it->second.msg.size()) + overhead;
    if (used + need > limit) {
      ++misses;  // try a few smaller ones, then stop scanning
      ++it;
      continue;
    }
    used += need;
    out.push_back(it->second.msg);
    auto next = std::next(it);
    taken.push_back(items_.extract(it));
    it = next;
  }
  std::vector<std::function<void()>> done;
  for (auto& node : taken) {
    const int transmits = node.key().first + 1;
    Item& item = node.mapped();
    if (transmits >= max_transmits) {
      if (!item.key.empty()) by_key_.erase(item.key);
      if (item.finished) done.push_back(std::move(item.finished));
      continue;
    }
    node.key() = Order{transmits, node.key().second};
    if (!item.key.empty()) by_key_.find(item.key)->second = node.key();
    items_.insert(std::move(node));
  }
  for (auto& f : done) f();
  return out;
}

void BroadcastQueue::Prune(std::size_t max) {
  while (items_.size() > max) {
    auto it = std::prev(items_.end());
    if (!it->second.key.empty()) by_key_.erase(it->second.key);
    auto done = std::move(it->second.finished);
    items_.erase(it);
    if (done) done();
  }
}

}  // namespace ckron::membership
