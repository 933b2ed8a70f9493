// A transmit-limited broadcast queue (memberlist queue.go
// TransmitLimitedQueue): every queued message is piggy-backed on outgoing
// packets until it has been sent RetransmitMult * ceil(log10(n + 1)) times.
// Fewest-sent first, newest first among equals, so fresh news spreads
// fastest. A message queued under a key invalidates an older one with the
// same key (a newer alive/suspect/dead for one node replaces the older).
//
// Thread safety: not thread-safe; owned by the gossip owner thread.
#ifndef CKRON_MEMBERSHIP_BROADCAST_QUEUE_H_
#define CKRON_MEMBERSHIP_BROADCAST_QUEUE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace ckron::membership {

class BroadcastQueue {
 public:
  explicit BroadcastQueue(int retransmit_mult) : retransmit_mult_(retransmit_mult) {}

  // Queues `msg`. A non-empty `key` replaces any queued message with the same
  // key (its `finished` runs). `finished` runs when the message leaves the
  // queue, sent enough times or replaced.
  void Queue(std::string key, std::string msg, std::function<void()> finished = nullptr);

  // Takes as many messages as fit in `limit` bytes, counting `overhead`
  // extra bytes per message, and counts one transmission for each.
  // `num_nodes` sets the retransmit limit. Only messages sent fewer than
  // `sent_below` times so far are taken (eager gossip sends only news).
  std::vector<std::string> Get(int overhead, int limit, int num_nodes,
                               int sent_below = std::numeric_limits<int>::max());

  // Drops the oldest-sent messages until at most `max` remain.
  void Prune(std::size_t max);

  std::size_t size() const { return items_.size(); }
  // True when some message has not been sent even once.
  bool HasFresh() const;

  static int RetransmitLimit(int mult, int num_nodes);

 private:
  struct Item {
    std::string key;
    std::string msg;
    std::function<void()> finished;
  };
  // Ordered by (transmits, newest first): the front is what to send next.
  using Order = std::pair<int, std::uint64_t>;  // (transmits, ~id)
  int retransmit_mult_;
  std::uint64_t next_id_ = 0;
  std::map<Order, Item> items_;
  std::map<std::string, Order, std::less<>> by_key_;  // Invariant: mirrors keyed items_
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_BROADCAST_QUEUE_H_
