// What the REST handlers need from the node they run in (style.md §4): a
// narrow interface node/ implements over the replicated state, the leader
// client, admission, the dispatcher and gossip. Handlers hold nothing else,
// so they are tested against a fake.
//
// Thread safety: implementations are safe for concurrent use; every method
// may be called from any handler thread and may block for at most the
// deadline it is given, except ProposeAsync, which never blocks (it is
// called on the HTTP I/O threads).
#ifndef CKRON_API_BACKEND_H_
#define CKRON_API_BACKEND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "fsm/codec.h"
#include "fsm/commands.h"
#include "replica/replicated_state.h"

namespace ckron::api {

// The outcome of an asynchronous proposal as it arrives: a failure, or the
// state machine's verdict still encoded (fsm::EncodeOutcome's bytes), so
// that the thread completing the proposal -- on the leader, the raft loop,
// which applies every server's writes in turn -- only hands it over, and
// the thread that answers the client decodes it (the applied job).
//
// Thread safety: a plain value.
class ProposedOutcome {
 public:
  // A failure, or an outcome decoded already.
  ProposedOutcome(Result<fsm::Outcome> outcome) : decoded_(std::move(outcome)) {}  // NOLINT
  // The verdict as the state machine encoded it.
  static ProposedOutcome Encoded(std::string bytes) {
    ProposedOutcome p(fsm::Outcome{});
    p.encoded_ = std::move(bytes);
    return p;
  }
  // What Backend::Propose would have returned.
  Result<fsm::Outcome> Decode() && {
    if (encoded_) return fsm::DecodeOutcome(*encoded_);
    return std::move(decoded_);
  }

 private:
  Result<fsm::Outcome> decoded_;
  std::optional<std::string> encoded_;  // set: decoded_ is unused
};

// A gossip member as Dkron's /v1/members shows it (dkron-spec §2.3).
struct MemberInfo {
  std::string name;
  std::string addr;
  std::uint16_t port = 0;
  std::map<std::string, std::string> tags;
  int status = 0;                                 // 0 none, 1 alive, 2 leaving, 3 left, 4 failed
  std::string status_text;                        // "alive", ...
  std::uint8_t protocol[6] = {0, 0, 0, 0, 0, 0};  // pmin pmax pcur dmin dmax dcur
};

// A server of the Raft configuration, as GET /v1/raft/peers shows it.
struct RaftPeerInfo {
  std::string id;        // the Raft id, in decimal
  std::string name;      // node name; "" when gossip does not know the server
  std::string address;   // Raft address "ip:port"
  std::string suffrage;  // "voter", "standby" or "spare"
  bool leader = false;   // the leader as far as this server knows (a hint)
};

class Backend {
 public:
  virtual ~Backend() = default;

  // This node's name (X-Whom) and version.
  virtual std::string node_name() const = 0;
  virtual std::string version() const = 0;

  // The local replicated state (reads may lag the leader).
  virtual const replica::ReplicatedState& state() const = 0;

  // Admission of a job write (admission::ValidateJobForWrite): kInvalidArgument
  // naming the field.
  virtual Status ValidateJob(const fsm::Job& job) const = 0;

  // Proposes `command` on the leader (forwarded when this server follows)
  // and returns the state machine's verdict once applied here or there.
  // Errors: the LeaderClient's (kUnavailable: no leader, nothing happened;
  // kOutcomeUnknown; kTimeout).
  virtual Result<fsm::Outcome> Propose(fsm::Command command, absl::Time deadline) = 0;
  // Propose without blocking: `done` gets what Propose would return,
  // exactly once, on whichever thread completes it (the raft loop, a gRPC
  // callback thread, a timer thread, or this one before returning). `done`
  // must be short and must not block: it hands the outcome on undecoded
  // (ProposedOutcome), and whoever answers decodes it.
  using ProposeDone = std::function<void(ProposedOutcome)>;
  virtual void ProposeAsync(fsm::Command command, absl::Time deadline, ProposeDone done) = 0;

  // A manual run on the leader's dispatcher (RunNow), forwarded to the
  // leader when this server follows. Errors: kNotFound (no such job),
  // kFailedPrecondition (forbid and running, without `force`),
  // kUnavailable (no leader before the deadline), kTimeout.
  virtual Status RunJob(const std::string& job, bool force, absl::Time deadline) = 0;

  // Asks the agent running execution (job, id) to kill it. Errors:
  // kNotFound (not running in the replicated state), kUnavailable (its
  // node cannot be reached), the agent's own refusal.
  virtual Status CancelExecution(const std::string& job, const std::string& id,
                                 absl::Time deadline) = 0;

  // The live output of a running execution as the leader has it (a
  // follower asks the leader, waiting at most ~0.5 s); nullopt when it does
  // not stream to the leader or the leader cannot be reached.
  virtual std::optional<std::string> LiveOutput(const std::string& job,
                                                const std::string& id) const = 0;

  // Gossip: every known member; this node's tags; gossip statistics as
  // strings (GET /v1's "serf" map).
  virtual std::vector<MemberInfo> Members() const = 0;
  virtual std::map<std::string, std::string> LocalTags() const = 0;
  virtual std::map<std::string, std::string> GossipStats() const = 0;

  // Raft: whether this server leads; the leader's node name (nullopt when
  // there is none or gossip does not know it).
  virtual bool IsLeader() const = 0;
  virtual std::optional<std::string> LeaderName() const = 0;

  // The Raft servers by region, for /v1/leave's answer: region -> names.
  virtual std::map<std::string, std::vector<std::string>> Peers() const = 0;
  // The Raft configuration as this server knows it (its own copy, also on a
  // follower), in configuration order, the leader marked by this server's
  // hint; empty before the cluster formed.
  virtual std::vector<RaftPeerInfo> RaftPeers() const = 0;
  // Starts a graceful shutdown of this agent (POST /v1/leave); returns at
  // once.
  virtual void Leave() = 0;
};

}  // namespace ckron::api

#endif  // CKRON_API_BACKEND_H_
