// Crash on bugs (style.md §15). CKRON_CHECK guards invariants whose failure
// means our own code is wrong; it stays on in release builds. Bad input,
// network errors and "not leader" are Status values, never checks.
#ifndef CKRON_COMMON_CHECK_H_
#define CKRON_COMMON_CHECK_H_

#include <string_view>

namespace ckron::internal {

// Prints "file:line: CHECK failed: what" to stderr and aborts.
[[noreturn]] void CheckFailed(const char* file, int line, std::string_view what);

}  // namespace ckron::internal

#define CKRON_CHECK(cond)                                        \
  do {                                                           \
    if (!(cond)) [[unlikely]]                                    \
      ::ckron::internal::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

// `msg` is anything convertible to std::string_view (evaluated on failure only).
#define CKRON_CHECK_MSG(cond, msg)                               \
  do {                                                           \
    if (!(cond)) [[unlikely]]                                    \
      ::ckron::internal::CheckFailed(__FILE__, __LINE__, (msg)); \
  } while (0)

#define CKRON_PANIC(msg) ::ckron::internal::CheckFailed(__FILE__, __LINE__, (msg))

#endif  // CKRON_COMMON_CHECK_H_
