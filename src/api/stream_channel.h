// Internal to api/: the StreamSink the HTTP transport hands a streaming
// response's producer (http_types.h). Producers push bytes from any thread;
// the connection's strand takes them and writes them out. Bounded in bytes:
// a reader slower than its producer makes Send return false rather than
// grow memory or block the producer.
//
// Thread safety: safe for concurrent use. This class behaves like a
// monitor: mu_ guards everything below it.
#ifndef CKRON_API_STREAM_CHANNEL_H_
#define CKRON_API_STREAM_CHANNEL_H_

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

#include "api/http_types.h"

namespace ckron::api::internal {

class StreamChannel final : public StreamSink {
 public:
  // `wake` is called (under no lock of the caller's, at most once until the
  // next Take) when bytes or the end are ready; it must only post work to
  // the strand. `max_bytes` bounds what may wait unwritten.
  StreamChannel(std::size_t max_bytes, std::function<void()> wake);

  bool Send(std::string bytes) override;
  void End(std::string last) override;

  // Strand side. Takes everything queued (appended into one string) and
  // whether the producer ended the stream.
  std::string Take(bool* ended);
  // `n` bytes taken earlier were written: they no longer count to the bound.
  void Written(std::size_t n);
  // The stream is over: Send and End do nothing from now on and `wake` is
  // dropped (it may hold the connection). Idempotent.
  void Close();

 private:
  void WakeLocked(std::unique_lock<std::mutex>& lock);

  const std::size_t max_bytes_;
  std::mutex mu_;
  std::function<void()> wake_;
  std::string queued_;
  std::size_t unwritten_ = 0;  // Invariant: >= queued_.size()
  bool wake_pending_ = false;
  bool ended_ = false;
  bool closed_ = false;
};

}  // namespace ckron::api::internal

#endif  // CKRON_API_STREAM_CHANNEL_H_
