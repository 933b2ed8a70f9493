// The live feed behind GET /v1/events: job and execution changes as they
// are applied to this server's replicated state, as Server-Sent Events
// (docs/api.md, "Live streams").
//
// The hub is a sink of the replicated state (replica/replicated_state.h).
// On the raft loop thread it only copies what changed (names, ids, a shared
// pointer to the job) into a bounded queue, and only while someone
// listens; its own thread then reads the records, encodes them with the
// REST codec and hands them to each subscriber's StreamSink, which never
// blocks. A subscriber that cannot keep up (its sink refuses) gets a final
// `event: overflow` and is dropped; if the hub's own queue fills, every
// subscriber is. A dropped client reconnects and reloads what it shows.
//
// Events (each "event: <name>" plus one JSON "data:" line):
//   job          the job as GET /v1/jobs/{job} returns it (created, updated,
//                toggled, its status or counters changed)
//   job-deleted  {"name": "<job>"}
//   execution    the execution as GET /v1/jobs/{job}/executions lists it,
//                when it starts and when it finishes
//   reset        {} the state was replaced by a snapshot: reload everything
//   leader       {"leader": "<node name>" | null, "term": N}: this server's
//                view of the Raft leader; once right after subscribing (the
//                current view; term 0 and null before it is known), then
//                on every change (SetLeader, fed by node/leader_watch.h).
//                Sent to every subscriber, whatever its job filter.
//   overflow     {} this subscriber fell behind and is dropped
//
// Thread safety: safe for concurrent use; OnEvents/OnRestored on the raft
// loop thread as EventSink requires.
#ifndef CKRON_API_EVENT_HUB_H_
#define CKRON_API_EVENT_HUB_H_

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/http_types.h"
#include "common/ids.h"
#include "replica/replicated_state.h"

namespace ckron::api {

struct EventHubOptions {
  // Changes waiting to be encoded. Larger rides out bursts (a batch of
  // fires) with slow encoding; each entry is small (names and a pointer).
  std::size_t queue_limit = 16384;
};

class EventHub final : public replica::EventSink {
 public:
  // `state` must outlive the hub. Starts the hub's thread.
  explicit EventHub(const replica::ReplicatedState* state, EventHubOptions options = {});
  ~EventHub() override;  // Stop()

  // Sends every later change (of job `job` only, when not empty) to `sink`
  // until Unsubscribe or a drop. Returns the subscription's id.
  std::uint64_t Subscribe(std::shared_ptr<StreamSink> sink, std::string job);
  // After it returns the hub no longer touches the subscriber's sink.
  void Unsubscribe(std::uint64_t id);
  std::size_t subscribers() const;

  // Ends every subscription (End without an event) and the thread.
  // Idempotent.
  void Stop();

  // This server's view of the Raft leader: `leader` is its node name
  // (nullopt: none known), `term` the Raft term. Sends `event: leader` to
  // every subscriber at once when it differs from the last one. Never
  // blocks on a client; call it from any thread but the raft loop's.
  void SetLeader(std::optional<std::string> leader, Term term);

  // replica::EventSink
  void OnEvents(LogIndex index, const std::vector<fsm::Event>& events) override;
  void OnRestored(LogIndex index) override;

 private:
  struct Change {
    enum class Kind { kJob, kJobDeleted, kExecution, kReset } kind = Kind::kJob;
    std::string job_name;
    std::shared_ptr<const fsm::Job> job;  // kJob
    std::string execution_id;             // kExecution
  };
  struct Subscriber {
    std::shared_ptr<StreamSink> sink;
    std::string job;  // "" = every job
  };

  void Enqueue(std::vector<Change> changes);
  void RunLoop();
  // The event text for `change`; "" when there is nothing to send (the
  // record is gone already).
  std::string Encode(const Change& change) const;
  void Publish(const std::string& job, const std::string& text);

  const replica::ReplicatedState* const state_;
  const EventHubOptions options_;
  std::atomic<std::size_t> count_{0};  // subscribers_.size(), read without the lock

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable wake_;
  std::deque<Change> queue_;
  bool overflowed_ = false;  // the queue was full: drop everyone
  bool stopping_ = false;
  std::map<std::uint64_t, Subscriber> subscribers_;
  std::string leader_event_;  // the last `event: leader` text
  std::uint64_t next_id_ = 1;

  std::thread thread_;
};

}  // namespace ckron::api

#endif  // CKRON_API_EVENT_HUB_H_
