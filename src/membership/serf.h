// The Serf layer (hashicorp/serf 0.9.4 serf/serf.go, delegate.go) on top of
// Memberlist: member statuses with Lamport-clocked join/leave intents, tags
// carried in node meta, user events with de-duplication, queries (answered
// with acks and Serf's internal queries), push/pull of Serf's own state,
// and the reap/reconnect housekeeping of failed and left members.
//
// Thread safety: not thread-safe. Owned by the gossip owner thread, like the
// Memberlist it drives; the event callback runs on that thread.
#ifndef CKRON_MEMBERSHIP_SERF_H_
#define CKRON_MEMBERSHIP_SERF_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "membership/broadcast_queue.h"
#include "membership/memberlist.h"
#include "membership/serf_wire.h"

namespace ckron::membership {

// serf.MemberStatus, with the same numbering (Dkron's API shows it).
enum class MemberStatus : std::uint8_t {
  kNone = 0,
  kAlive = 1,
  kLeaving = 2,
  kLeft = 3,
  kFailed = 4
};
const char* MemberStatusName(MemberStatus s);  // "alive", "leaving", "left", "failed", "none"

struct Member {
  std::string name;
  Address addr;
  std::map<std::string, std::string> tags;
  MemberStatus status = MemberStatus::kNone;
  std::uint8_t vsn[6] = {0, 0, 0, 0, 0, 0};  // pmin pmax pcur dmin dmax dcur
};

struct SerfEvent {
  enum class Type {
    kMemberJoin,
    kMemberLeave,
    kMemberFailed,
    kMemberUpdate,
    kMemberReap,
    kUser,
    kQuery
  };
  Type type = Type::kMemberJoin;
  std::vector<Member> members;  // member events
  std::string name;             // user event / query name
  std::string payload;
  serf_wire::LamportTime ltime = 0;
  bool coalesce = false;
};

struct SerfConfig {
  std::string node_name;
  std::map<std::string, std::string> tags;
  Nanos reap_interval = 15s;           // how often failed/left members are reaped
  Nanos reconnect_interval = 30s;      // how often we try to rejoin a failed member
  Nanos reconnect_timeout = 24h;       // a failed member is forgotten after this
  Nanos tombstone_timeout = 24h;       // a left member is forgotten after this
  Nanos recent_intent_timeout = 5min;  // intents for unknown nodes are kept this long
  Nanos broadcast_timeout = 5s;        // Leave waits this long for its intent to spread
  Nanos leave_propagate_delay = 1s;    // and this long after
  int event_buffer = 512;              // user events remembered for de-duplication
  int query_buffer = 512;
  std::size_t user_event_size_limit = 512;  // name + payload bytes
  std::size_t max_queue_depth = 4096;       // Serf-layer broadcast queue bound
};

class Serf final : public MemberlistDelegate {
 public:
  using EventFn = std::function<void(const SerfEvent&)>;

  // REQUIRES: env and counters outlive this object.
  Serf(SerfConfig config, MemberlistConfig ml_config, Env& env, GossipCounters& counters,
       EventFn on_event);
  ~Serf() override;

  // Starts gossip and the reap/reconnect timers.
  void Start();
  // Joins through any of `addrs`; on success broadcasts our join intent.
  void Join(const std::vector<Address>& addrs, std::function<void(int, Status)> done);
  // Graceful leave: leave intent, then memberlist leave, then the propagate
  // delay; `done` runs once at the end (also on timeout).
  void Leave(std::function<void()> done);
  // Replaces our tags and re-advertises them.
  // Errors: kInvalidArgument when the encoded tags exceed 512 bytes.
  Status SetTags(std::map<std::string, std::string> tags);
  // Broadcasts a user event. Errors: kInvalidArgument over the size limit.
  Status UserEvent(const std::string& name, const std::string& payload, bool coalesce);

  std::vector<Member> Members() const;
  Memberlist& memberlist() { return *memberlist_; }
  const std::map<std::string, std::string>& tags() const { return config_.tags; }
  void Stop();
  // Test hook (simulation): forgets everything queued for gossip, here and
  // in the memberlist below.
  void TEST_DropBroadcasts();

  // MemberlistDelegate.
  std::string NodeMeta() override;
  void NotifyMsg(std::string_view msg) override;
  std::vector<std::string> GetBroadcasts(int overhead, int limit, int sent_below) override;
  bool HasFreshBroadcasts() override;
  std::string LocalState(bool join) override;
  void MergeRemoteState(std::string_view state, bool join) override;
  void NotifyJoin(const NodeState& n) override;
  void NotifyLeave(const NodeState& n) override;
  void NotifyUpdate(const NodeState& n) override;

 private:
  struct MemberState {
    Member member;
    serf_wire::LamportTime status_ltime = 0;
    // status_ltime came from a peer's state sync, where a join and a leave
    // intent look alike: a leave intent at that very time may still follow.
    bool status_from_sync = false;
    Nanos leave_time{0};
  };
  struct Intent {
    serf_wire::MsgType type;
    serf_wire::LamportTime ltime = 0;
    Nanos wall{0};
    bool from_sync = false;
  };
  class Clock {  // serf lamport.go
   public:
    serf_wire::LamportTime Time() const { return t_; }
    serf_wire::LamportTime Increment() { return ++t_; }
    void Witness(serf_wire::LamportTime v) {
      if (v >= t_) t_ = v + 1;
    }

   private:
    serf_wire::LamportTime t_ = 0;
  };

  // `from_sync`: the join was read from a push/pull's status times, not
  // received as an intent (see MemberState::status_from_sync).
  bool HandleJoinIntent(const serf_wire::Join& j, bool from_sync = false);
  bool HandleLeaveIntent(const serf_wire::Leave& l);
  bool HandleUserEvent(const serf_wire::UserEvent& e);
  bool HandleQuery(const serf_wire::Query& q);
  void RespondToQuery(const serf_wire::Query& q, std::string payload);
  void Emit(SerfEvent::Type type, const Member& m);
  void QueueBroadcast(BroadcastQueue& q, std::string msg, std::function<void()> notify = nullptr);
  void Reap();
  void Reconnect();
  void EraseNode(const std::string& name);
  bool UpsertIntent(const std::string& node, serf_wire::MsgType type, serf_wire::LamportTime t,
                    bool from_sync = false);

  SerfConfig config_;
  Env& env_;
  EventFn on_event_;
  std::unique_ptr<Memberlist> memberlist_;
  std::shared_ptr<bool> alive_token_ = std::make_shared<bool>(true);

  Clock clock_, event_clock_, query_clock_;
  std::map<std::string, MemberState, std::less<>> members_;
  std::vector<std::string> failed_, left_;  // names, in order of leaving
  std::map<std::string, Intent, std::less<>> recent_intents_;
  struct EventSlot {
    serf_wire::LamportTime ltime = 0;
    std::vector<serf_wire::UserEventEntry> events;
    bool used = false;
  };
  std::vector<EventSlot> event_buffer_;
  serf_wire::LamportTime event_min_time_ = 0;
  struct QuerySlot {
    serf_wire::LamportTime ltime = 0;
    std::vector<std::uint32_t> ids;
    bool used = false;
  };
  std::vector<QuerySlot> query_buffer_;
  BroadcastQueue broadcasts_{4}, event_broadcasts_{4}, query_broadcasts_{4};
  bool leaving_ = false;
};

}  // namespace ckron::membership

#endif  // CKRON_MEMBERSHIP_SERF_H_
