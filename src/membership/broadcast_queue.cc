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
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (it->key == key) {
        auto done = std::move(it->finished);
        items_.erase(it);
        if (done) done();
        break;
      }
    }
  }
  items_.push_back(Item{std::move(key), std::move(msg), 0, ++next_id_, std::move(finished)});
}

bool BroadcastQueue::HasFresh() const {
  return std::any_of(items_.begin(), items_.end(), [](const Item& i) { return i.transmits == 0; });
}

std::vector<std::string> BroadcastQueue::Get(int overhead, int limit, int num_nodes) {
  std::vector<std::string> out;
  if (items_.empty()) return out;
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    if (a.transmits != b.transmits) return a.transmits < b.transmits;
    return a.id > b.id;
  });
  const int max_transmits = std::max(1, RetransmitLimit(retransmit_mult_, num_nodes));
  int used = 0;
  std::vector<std::function<void()>> done;
  for (std::size_t i = 0; i < items_.size();) {
    Item& it = items_[i];
    const int need = static_cast<int>(it.msg.size()) + overhead;
    if (used + need > limit) {
      ++i;
      continue;
    }
    used += need;
    out.push_back(it.msg);
    if (++it.transmits >= max_transmits) {
      if (it.finished) done.push_back(std::move(it.finished));
      items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
  for (auto& f : done) f();
  return out;
}

void BroadcastQueue::Prune(std::size_t max) {
  if (items_.size() <= max) return;
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    if (a.transmits != b.transmits) return a.transmits < b.transmits;
    return a.id > b.id;
  });
  while (items_.size() > max) {
    auto done = std::move(items_.back().finished);
    items_.pop_back();
    if (done) done();
  }
}

}  // namespace ckron::membership
