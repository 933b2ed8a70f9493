// The gossip membership of a ckron node: who is in the cluster, with which
// tags, who failed or left, plus user events — wire-compatible with
// HashiCorp Serf 0.9 so a real `serf agent` can share the pool. The rest of
// the node sees only this header: a member directory and an event stream.
// No other module touches gossip sockets or packets. (docs/membership.md)
//
// Thread safety: Membership is safe for concurrent use. Internally one owner
// thread runs the protocol; public calls hand work to it and wait.
#ifndef CKRON_MEMBERSHIP_MEMBERSHIP_H_
#define CKRON_MEMBERSHIP_MEMBERSHIP_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace ckron::membership {

struct MembershipOptions {
  std::string node_name;                    // unique; required
  std::string bind_addr = "0.0.0.0:8946";   // IP:port for UDP and TCP (port 0: pick one)
  std::string advertise_addr;               // IP[:port] peers use; "" = bind IP and port
  std::string profile = "lan";              // lan | wan | local (memberlist timings)
  std::vector<std::string> keys;            // base64 AES keys, primary first; empty = plaintext
  std::map<std::string, std::string> tags;  // carried in node meta (<= 512 bytes encoded)
  std::chrono::nanoseconds reconnect_timeout =
      std::chrono::hours(24);  // forget failed members after
  std::chrono::nanoseconds tombstone_timeout = std::chrono::hours(24);  // forget left members after
  std::vector<std::string> join;        // one join attempt at Start; failure only logged
  std::vector<std::string> retry_join;  // keep trying in the background until joined
  int retry_max = 0;                    // 0 = retry forever
  std::chrono::nanoseconds retry_interval = std::chrono::seconds(30);
  std::size_t event_queue_capacity = 1024;  // per subscription; oldest dropped when full
  // Event coalescing, as Serf's agent and Dkron configure it (coalescer.h):
  // member events are delivered in batches, at most `coalesce_period` after
  // the first of a batch, or once `quiescent_period` passes without another;
  // each member once per batch with its latest event, and a flap that ends
  // where it began (failed, then join again) not at all. Longer periods
  // absorb more flapping and tell subscribers later. Either one 0: every
  // event at once. The member directory (Members()) never waits.
  std::chrono::nanoseconds coalesce_period = std::chrono::seconds(3);
  std::chrono::nanoseconds quiescent_period = std::chrono::seconds(1);
  // The same for user events whose sender asked for coalescing: per event
  // name, only the newest is delivered. Others are delivered at once.
  std::chrono::nanoseconds user_coalesce_period = std::chrono::seconds(3);
  std::chrono::nanoseconds user_quiescent_period = std::chrono::seconds(1);
};

// Serf's member statuses and numbering.
enum class MemberState : std::uint8_t {
  kNone = 0,
  kAlive = 1,
  kLeaving = 2,
  kLeft = 3,
  kFailed = 4
};
const char* MemberStateName(MemberState s);

struct MemberInfo {
  std::string name;
  std::string addr;  // IP text
  std::uint16_t port = 0;
  std::map<std::string, std::string> tags;
  MemberState status = MemberState::kNone;
  std::string rpc_addr;                           // the rpc_addr tag ("" if absent)
  std::string region;                             // the region tag ("" if absent)
  std::uint8_t protocol[6] = {0, 0, 0, 0, 0, 0};  // pmin pmax pcur dmin dmax dcur
};

struct MemberEvent {
  enum class Type { kJoin, kLeave, kFail, kUpdate, kReap, kUser };
  Type type = Type::kJoin;
  MemberInfo member;    // member events
  std::string name;     // user events
  std::string payload;  // user events
  std::uint64_t ltime = 0;
};
const char* MemberEventTypeName(MemberEvent::Type t);  // "member-join", "user", ...

// A bounded event queue handed to one subscriber. When the subscriber falls
// behind by `capacity` events the oldest are dropped and counted — gossip
// never blocks on a slow reader. Safe for concurrent use.
class EventSubscription {
 public:
  explicit EventSubscription(std::size_t capacity) : capacity_(capacity) {}
  // Waits up to `timeout` for the next event; nullopt on timeout or close.
  std::optional<MemberEvent> Next(std::chrono::milliseconds timeout);
  std::uint64_t dropped() const;
  void Push(MemberEvent e);  // called by Membership
  void Close();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<MemberEvent> q_;  // guarded by mu_
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;  // guarded by mu_
  bool closed_ = false;        // guarded by mu_
};

struct MembershipStats {
  std::uint64_t packets_received = 0, packets_sent = 0, bytes_received = 0, bytes_sent = 0;
  std::uint64_t packets_dropped_malformed = 0;  // framing, checksum or decode errors
  std::uint64_t packets_dropped_decrypt = 0;    // wrong/missing key
  std::uint64_t packets_dropped_oversize = 0;
  std::uint64_t streams_rejected = 0;
  int health_score = 0;  // Lifeguard local health (0 = healthy)
  std::size_t members = 0;
};

class Membership {
 public:
  // Validates options, binds the sockets, starts gossip, and makes the
  // one-shot `join` attempt and the background `retry_join`.
  // Errors: kInvalidArgument (bad name, address, profile, key or tags),
  // kUnavailable (cannot bind).
  static Result<std::unique_ptr<Membership>> Start(MembershipOptions options);
  // Stops gossip without leaving (like a crash, to peers). Prefer Leave().
  ~Membership();

  // Push/pull join through each address; returns how many answered.
  // Errors: kUnavailable when none did (the last error, e.g. the peer's
  // encryption refusal, is in the message).
  Result<int> Join(const std::vector<std::string>& addrs);
  // Graceful leave: peers mark us `left`. Gossip stops after it. Waits at
  // most `timeout`. Errors: kTimeout.
  Status Leave(std::chrono::milliseconds timeout);
  // Replaces our tags. Errors: kInvalidArgument when over 512 bytes encoded.
  Status UpdateTags(std::map<std::string, std::string> tags);
  // Errors: kInvalidArgument when name + payload exceed 512 bytes.
  Status SendUserEvent(const std::string& name, const std::string& payload, bool coalesce);

  // A snapshot of every known member (alive, leaving, left, failed).
  std::vector<MemberInfo> Members() const;
  // Alive members of `region` (all regions when empty).
  std::vector<MemberInfo> AliveMembers(const std::string& region = "") const;
  MemberInfo LocalMember() const;
  std::shared_ptr<EventSubscription> Subscribe();
  MembershipStats Stats() const;
  std::string bound_addr() const;  // "ip:port" actually bound

 private:
  struct Impl;
  explicit Membership(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_MEMBERSHIP_H_
