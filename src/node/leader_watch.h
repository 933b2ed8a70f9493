// Watches this server's view of the Raft leader and tells the live event
// feed (api/event_hub.h, `event: leader`) when it changes, from its own
// thread, so the raft loop thread does nothing for it: every `interval` it
// samples the view (raft::Node::Info() and the gossip directory, both a
// short lock) and reports a change of leader name or term. Every
// `slow_every` turns it also runs a slower periodic task (the agent samples
// the fires-skipped counters there), so one thread serves both.
//
// Thread safety: Start/Stop from the owner's thread; the callbacks run on
// the watch thread only.
#ifndef CKRON_NODE_LEADER_WATCH_H_
#define CKRON_NODE_LEADER_WATCH_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/ids.h"

namespace ckron::node {

// A server's view of the leader: its node name (nullopt: none known) and
// the Raft term.
struct LeaderView {
  std::optional<std::string> leader;
  Term term;
  friend bool operator==(const LeaderView&, const LeaderView&) = default;
};

struct LeaderWatchOptions {
  // Sampling period. Lower = leader events sooner after Raft learns of the
  // change, more wakeups (each a lock or two).
  std::chrono::milliseconds interval{100};
  // The slow task runs every this many samples (>= 1).
  int slow_every = 10;
};

class LeaderWatch {
 public:
  // `sample` returns the current view, or nullopt when it cannot be named
  // yet (a leader known by Raft id only): that turn is skipped. `on_change`
  // gets the first view and every different one after. `slow` may be
  // empty.
  LeaderWatch(LeaderWatchOptions options, std::function<std::optional<LeaderView>()> sample,
              std::function<void(const LeaderView&)> on_change, std::function<void()> slow);
  ~LeaderWatch();  // Stop()

  void Start();
  // Joins the thread; no callback runs after it returns. Idempotent.
  void Stop();

 private:
  void RunLoop();

  const LeaderWatchOptions options_;
  const std::function<std::optional<LeaderView>()> sample_;
  const std::function<void(const LeaderView&)> on_change_;
  const std::function<void()> slow_;

  std::mutex mu_;  // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_LEADER_WATCH_H_
