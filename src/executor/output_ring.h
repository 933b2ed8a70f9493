// A byte ring that keeps the newest `capacity` bytes written to it (Dkron's
// armon/circbuf): executors collect output through one so a chatty job costs
// at most kMaxOutputBytes of memory. Memory grows with what is written, up to
// the capacity, so a quiet job costs little.
//
// Thread safety: not thread-safe; owned by one execution.
#ifndef CKRON_EXECUTOR_OUTPUT_RING_H_
#define CKRON_EXECUTOR_OUTPUT_RING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "executor/executor.h"

namespace ckron::executor {

class OutputRing {
 public:
  // REQUIRES: capacity > 0.
  explicit OutputRing(std::size_t capacity = kMaxOutputBytes);

  void Write(std::string_view data);

  // The kept bytes, oldest first.
  std::string Contents() const;

  std::size_t size() const { return full_ ? capacity_ : buf_.size(); }
  std::size_t capacity() const { return capacity_; }
  // Every byte ever written, kept or not.
  std::uint64_t total_written() const { return total_; }
  bool truncated() const { return total_ > capacity_; }

 private:
  std::size_t capacity_;
  std::string buf_;       // Invariant: buf_.size() <= capacity_
  bool full_ = false;     // buf_ has reached capacity_ and now wraps
  std::size_t head_ = 0;  // when full_: index of the oldest byte (next to overwrite)
  std::uint64_t total_ = 0;
};

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_OUTPUT_RING_H_
