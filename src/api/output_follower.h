// Internal to api/: follows running executions' output for
// GET /v1/jobs/{job}/executions/{id}/output (docs/api.md, "Live streams").
//
// One thread serves every open output stream: every poll_interval it reads
// each followed execution's record and, while it runs, the leader's live
// output (Backend::LiveOutput), and sends what is new:
//   event: output  {"chunk": "<new output>"}          (as it arrives)
//   event: error   {"message": "..."}                 (once, on a follower:
//                  the live output is only on the leader; the stored output
//                  follows when the run finishes)
//   event: done    <the execution JSON, output included>, then the end
// A deleted execution ends the stream with `event: error`; a client that
// cannot keep up is dropped with `event: overflow`.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_API_OUTPUT_FOLLOWER_H_
#define CKRON_API_OUTPUT_FOLLOWER_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

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
    std::string sent;            // the output sent so far (as the source showed it)
    bool told_follower = false;  // the follower notice went out
  };
  void RunLoop();
  // Reads the sources and sends what is new; false when the stream ended.
  bool Poll(std::uint64_t key, const Follow& snapshot);

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
