// Errors are values (style.md §Errors). A Status is either OK or carries one
// code from a closed set plus a human message; callers branch on the code,
// never on the message text. Result<T> holds a T or a non-OK Status.
//
// Thread safety: Status and Result are values; distinct objects may be used
// from different threads, a shared one only for reading.
#ifndef CKRON_COMMON_STATUS_H_
#define CKRON_COMMON_STATUS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace ckron {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong; retrying won't help
  kNotFound,            // the named object does not exist
  kAlreadyExists,       // a create found the object present
  kFailedPrecondition,  // state forbids it now (paused, forbid policy, ...)
  kNotLeader,           // this node is not the Raft leader; see leader_hint()
  kTimeout,             // gave up waiting; the operation did not happen
  kUnavailable,         // a dependency (peer, disk, leader) is unreachable
  kOutcomeUnknown,      // it may or may not have happened (e.g. lost leader
                        // after proposing); callers retry with an id
  kCancelled,           // stopped on request (shutdown, explicit cancel)
  kResourceExhausted,   // a bound was hit (queue full, body too large)
  kInternal,            // a bug or corrupt state on our side
};

// The stable lower_snake name of a code, e.g. "not_found".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // OK.
  Status() = default;
  // REQUIRES: code != kOk (use Status() for OK).
  Status(StatusCode code, std::string message);

  static Status InvalidArgument(std::string message) {
    return {StatusCode::kInvalidArgument, std::move(message)};
  }
  static Status NotFound(std::string message) {
    return {StatusCode::kNotFound, std::move(message)};
  }
  static Status AlreadyExists(std::string message) {
    return {StatusCode::kAlreadyExists, std::move(message)};
  }
  static Status FailedPrecondition(std::string message) {
    return {StatusCode::kFailedPrecondition, std::move(message)};
  }
  // leader_hint: the leader's address if known, else "".
  static Status NotLeader(std::string leader_hint, std::string message);
  static Status Timeout(std::string message) { return {StatusCode::kTimeout, std::move(message)}; }
  static Status Unavailable(std::string message) {
    return {StatusCode::kUnavailable, std::move(message)};
  }
  static Status OutcomeUnknown(std::string message) {
    return {StatusCode::kOutcomeUnknown, std::move(message)};
  }
  static Status Cancelled(std::string message) {
    return {StatusCode::kCancelled, std::move(message)};
  }
  static Status ResourceExhausted(std::string message) {
    return {StatusCode::kResourceExhausted, std::move(message)};
  }
  static Status Internal(std::string message) {
    return {StatusCode::kInternal, std::move(message)};
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Only meaningful for kNotLeader.
  const std::string& leader_hint() const { return leader_hint_; }

  // "ok", or "<code name>: <message>".
  std::string ToString() const;

  // The same status with "<context>: " prepended to the message. OK stays OK.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string leader_hint_;
};

inline Status OkStatus() {
  return Status();
}

// Holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose: `return value;` and `return status;` both work.
  Result(T value) : v_(std::in_place_index<1>, std::move(value)) {}  // NOLINT
  // REQUIRES: !status.ok().
  Result(Status status) : v_(std::in_place_index<0>, std::move(status)) {  // NOLINT
    CKRON_CHECK_MSG(!std::get<0>(v_).ok(), "Result built from an OK Status");
  }

  bool ok() const { return v_.index() == 1; }
  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<0>(v_); }

  // REQUIRES: ok().
  T& value() & { return Checked(); }
  const T& value() const& { return const_cast<Result*>(this)->Checked(); }
  T&& value() && { return std::move(Checked()); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->Checked(); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->Checked(); }

  T value_or(T fallback) const { return ok() ? std::get<1>(v_) : fallback; }

 private:
  T& Checked() {
    CKRON_CHECK_MSG(ok(), "value() on error Result: " + std::get<0>(v_).ToString());
    return std::get<1>(v_);
  }
  std::variant<Status, T> v_;
};

}  // namespace ckron

#define CKRON_STATUS_CONCAT_INNER_(a, b) a##b
#define CKRON_STATUS_CONCAT_(a, b) CKRON_STATUS_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define CKRON_RETURN_IF_ERROR(expr)                        \
  do {                                                     \
    ::ckron::Status ckron_status_tmp_ = (expr);            \
    if (!ckron_status_tmp_.ok()) return ckron_status_tmp_; \
  } while (0)

// `CKRON_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value, or
// returns F()'s Status from the enclosing function.
#define CKRON_ASSIGN_OR_RETURN(lhs, expr)                          \
  auto CKRON_STATUS_CONCAT_(ckron_result_, __LINE__) = (expr);     \
  if (!CKRON_STATUS_CONCAT_(ckron_result_, __LINE__).ok())         \
    return CKRON_STATUS_CONCAT_(ckron_result_, __LINE__).status(); \
  lhs = std::move(CKRON_STATUS_CONCAT_(ckron_result_, __LINE__)).value()

#endif  // CKRON_COMMON_STATUS_H_
