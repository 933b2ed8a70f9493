// Joining the gossip pool at start (dkron-spec §8):
//   --join         one attempt through the listed addresses, before the
//                  agent reports itself started; a failure is logged with
//                  its reason (e.g. the peer's encryption refusal) and the
//                  agent runs on, alone.
//   --retry-join   attempts every --retry-interval, in the background, until
//                  one address answers; --retry-max attempts at most (0 =
//                  forever). When they are exhausted the agent logs an error
//                  and shuts down with exit status 1, as Dkron does.
// Unlike Dkron, retry-join does not hold up the start: the agent already
// serves its gRPC port (so `ckron leave` works) and a restarted server
// rejoins its Raft peers, which need no gossip, while it retries.
//
// Thread safety: Start/Stop from the owner; `on_give_up` runs on the joiner
// thread.
#ifndef CKRON_NODE_JOINER_H_
#define CKRON_NODE_JOINER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "membership/membership.h"

namespace ckron::node {

struct JoinOptions {
  std::vector<std::string> join;
  std::vector<std::string> retry_join;
  int retry_max = 0;  // 0 = forever
  std::chrono::milliseconds retry_interval{30000};
};

class Joiner {
 public:
  // `members` must outlive the joiner.
  Joiner(JoinOptions options, membership::Membership* members,
         std::function<void(const std::string& reason)> on_give_up);
  ~Joiner();  // Stop()

  // Makes the one-shot join (blocking, bounded by gossip's own timeouts),
  // then starts retry-join in the background if configured.
  void Start();
  // Ends retry-join. Idempotent.
  void Stop();

 private:
  void RetryLoop();

  const JoinOptions options_;
  membership::Membership* const members_;
  const std::function<void(const std::string&)> on_give_up_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace ckron::node

#endif  // CKRON_NODE_JOINER_H_
