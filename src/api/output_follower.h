// Internal to api/: follows running executions' output for
// GET /v1/jobs/{job}/executions/{id}/output (docs/api.md, "Live streams").
//
// One thread serves every open output stream: every poll_interval it reads
// each followed execution's record and, while it runs, its live output as
// the leader has it (Backend::LiveOutput: on a follower a call to the
// leader, made once per poll for each execution however many streams
// follow it), and sends what is new:
//   event: output  {"chunk": "<new output>"}          (as it arrives)
//   event: done    <the execution JSON, output included>, then the end
// A follower's stream has the same events in the same order as the
// leader's. While the live output cannot be had (the leader changed: the
// new one has no live view of a run that started before; or it cannot be
// reached) the stream stays quiet (heartbeats) until the record finishes,
// then sends the stored output that was not sent yet and `done`. A deleted
// execution ends the stream with `event: error`; a client that cannot keep
// up is dropped with `event: overflow`.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_API_OUTPUT_FOLLOWER_H_
#define CKRON_API_OUTPUT_FOLLOWER_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "api/backend.h"
#include "api/http_types.h"

namespace ckron::api::internal {

// What `now` adds to `sent`, both views of the same growing output; `now`
// may have dropped its oldest bytes (a bounded live buffer), so the longest
// end of `sent` that starts `now` is taken as already sent. Exact while
// nothing is dropped.
std::string NewOutput(std::string_view sent, std::string_view now);

class OutputFollower {
 public:
  // `backend` must outlive the follower. Starts its thread.
  OutputFollower(Backend* backend, absl::Duration poll_interval);
  ~OutputFollower();  // ends every stream, joins the thread

  // Follows execution (job, id) into `sink` until it ends or Remove.
  std::uint64_t Add(std::shared_ptr<StreamSink> sink, std::string job, std::string id);
  // After it returns the follower no longer touches that sink.
  void Remove(std::uint64_t id);

 private:
  struct Follow {
    std::shared_ptr<StreamSink> sink;
    std::string job, id;
    std::string sent;  // the output sent so far (as the source showed it)
  };
  using LiveCache = std::map<std::pair<std::string, std::string>, std::optional<std::string>>;
  void RunLoop();
  // Reads the sources and sends what is new; false when the stream ended.
  // `live` caches this round's Backend::LiveOutput answers.
  bool Poll(std::uint64_t key, const Follow& snapshot, LiveCache& live);

  Backend* const backend_;
  const absl::Duration poll_interval_;
  std::mutex mu_;  // guards everything below
  std::condition_variable wake_;
  std::map<std::uint64_t, Follow> follows_;
  std::uint64_t next_id_ = 1;
  bool added_ = false;  // a new follow waits for its first poll
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ckron::api::internal

#endif  // CKRON_API_OUTPUT_FOLLOWER_H_
