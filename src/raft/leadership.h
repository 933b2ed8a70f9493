// Leadership change detection and fan-out. libraft 0.15 has no state-change
// callback (deps.md §1), so the loop thread observes (state, term) after every
// loop iteration and LeadershipTracker turns the observations into events.
//
// Thread safety: LeadershipTracker is not thread-safe (owned by the loop
// thread). ListenerRegistry is safe for concurrent use.
#ifndef CKRON_RAFT_LEADERSHIP_H_
#define CKRON_RAFT_LEADERSHIP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "common/ids.h"
#include "raft/types.h"

namespace ckron::raft::internal {

class LeadershipTracker {
 public:
  // Feeds one observation. Appends kLost{old term} when leadership of the
  // tracked term ended (including "still leader but in a newer term": a
  // lose-and-win between two observations), then kGained{term} when this
  // server leads and was not tracked as leading.
  void Observe(bool is_leader, Term term, std::vector<LeadershipEvent>* out);

  // The term this server is tracked as leading, if any.
  std::optional<Term> leading_term() const { return leading_; }

 private:
  std::optional<Term> leading_;
};

class ListenerRegistry {
 public:
  using Listener = std::function<void(const LeadershipEvent&)>;

  // Registers `l` and returns its handle. An inactive listener is skipped by
  // Publish until Activate: the raft loop activates it in order with its own
  // events, so it cannot see a kLost without the kGained before it.
  std::uint64_t Add(Listener l, bool active);
  // Activates `handle` (if still registered) and, if `initial` is set, calls
  // it with that event first.
  void Activate(std::uint64_t handle, const std::optional<LeadershipEvent>& initial);
  // After Remove returns, `handle`'s listener is not running and will not run
  // again, unless Remove is called from inside a listener (then it just will
  // not run again).
  void Remove(std::uint64_t handle);
  // Calls every active listener, in registration order, with each event in
  // order.
  void Publish(const std::vector<LeadershipEvent>& events);

 private:
  std::recursive_mutex mu_;  // held while listeners run (see Remove)
  // mu_ guards everything below.
  std::uint64_t next_ = 1;
  struct Entry {
    Listener listener;
    bool active;
  };
  std::map<std::uint64_t, Entry> listeners_;
};

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_LEADERSHIP_H_
