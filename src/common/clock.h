// Injected time (style.md §22). Code that needs "now" takes a Clock&; tests
// pass a ManualClock and move time by hand.
#ifndef CKRON_COMMON_CLOCK_H_
#define CKRON_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ckron {

// Safe for concurrent use.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (may jump when the system clock is set).
  virtual absl::Time Now() const = 0;
};

// The real system clock. Safe for concurrent use.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance; never destroyed.
  static SystemClock& Get();
};

// A clock that only moves when told to. Safe for concurrent use.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch()) : ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override {
    return absl::FromUnixNanos(ns_.load(std::memory_order_acquire));
  }
  void Set(absl::Time t) { ns_.store(absl::ToUnixNanos(t), std::memory_order_release); }
  void Advance(absl::Duration d) {
    ns_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
  }

 private:
  std::atomic<std::int64_t> ns_;
};

}  // namespace ckron

#endif  // CKRON_COMMON_CLOCK_H_
