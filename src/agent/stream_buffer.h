// The bounded queue between one execution and the Run stream watching it:
// the execution's thread writes (as a RunObserver) and never waits; the
// stream's handler reads and sends at whatever pace the network allows.
//
// Output is coalesced into messages of at most max_message_bytes. When the
// reader falls max_bytes behind, further output is dropped (and counted)
// until it catches up; the gap shows in the stream as one line
// "[ckron: N bytes of output dropped from this stream]". The stored result
// is not affected: it keeps the output's last 256,000 bytes regardless.
// Once the reader is gone (Close()), everything is dropped.
//
// A reader that cannot wait (a gRPC callback reactor) sets a ready callback
// and polls with Next(absl::ZeroDuration()) when it fires.
//
// Thread safety: safe for concurrent use by one writer and one reader.
#ifndef CKRON_AGENT_STREAM_BUFFER_H_
#define CKRON_AGENT_STREAM_BUFFER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/time.h"
#include "agent/run_table.h"
#include "fsm/job.h"

namespace ckron::agent {

struct StreamBufferOptions {
  // Output held for a slow reader before dropping. More: fewer gaps on a
  // slow link; more memory per stream.
  std::size_t max_bytes = std::size_t{1} << 20;
  // The largest output message. Larger: fewer messages for chatty jobs.
  std::size_t max_message_bytes = std::size_t{64} << 10;
};

class StreamBuffer final : public RunObserver {
 public:
  explicit StreamBuffer(StreamBufferOptions options = {});

  // Called on the writer's thread, without the buffer's lock held, after
  // each OnOutput/OnFinished that queued something. Set it before the
  // buffer is handed to a writer; it must not block.
  void SetReadyCallback(std::function<void()> ready) { on_ready_ = std::move(ready); }

  // Writer side (RunObserver): never blocks.
  void OnOutput(std::string_view chunk) override;
  void OnFinished(const fsm::Execution& execution) override;

  // One thing for the stream to send.
  struct Event {
    std::string output;                      // non-empty, or
    std::optional<fsm::Execution> finished;  // the result, after all output
  };
  // Reader side: the next event, waiting up to `timeout`; nullopt if none
  // came by then.
  std::optional<Event> Next(absl::Duration timeout);

  // The reader is gone: drop everything from now on.
  void Close();

  // Bytes of output dropped because the reader was behind or gone.
  std::uint64_t dropped_bytes() const;

 private:
  // A queued piece: output bytes, or a gap of `dropped` bytes.
  struct Piece {
    std::string bytes;
    std::uint64_t dropped = 0;  // > 0: a gap
  };

  const StreamBufferOptions options_;
  std::function<void()> on_ready_;  // set before sharing; then read only
  mutable std::mutex mu_;
  std::condition_variable ready_;
  // Invariant: queued_bytes_ = the sum of pieces_[i].bytes.size() <= max_bytes.
  std::deque<Piece> pieces_;                // guarded by mu_
  std::size_t queued_bytes_ = 0;            // guarded by mu_
  std::optional<fsm::Execution> finished_;  // guarded by mu_
  bool closed_ = false;                     // guarded by mu_
  std::uint64_t dropped_bytes_ = 0;         // guarded by mu_
};

}  // namespace ckron::agent

#endif  // CKRON_AGENT_STREAM_BUFFER_H_
