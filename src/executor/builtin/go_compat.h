// Small pieces of Go's standard library that Dkron's executors lean on, so
// ckron reads the same config values and writes the same messages:
// strings.TrimSpace, strconv.ParseBool/Atoi/Quote, syscall errno and
// signal texts, and os/exec's wait-status text ("exit status 1", "signal: killed").
//
// Thread safety: pure functions.
#ifndef CKRON_EXECUTOR_BUILTIN_GO_COMPAT_H_
#define CKRON_EXECUTOR_BUILTIN_GO_COMPAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ckron::executor::gocompat {

// strconv.Quote: double-quoted, with \" \\ \n \t \r \a \b \f \v and \xNN
// escapes for other control bytes. Bytes >= 0x80 are copied as they are.
std::string Quote(std::string_view s);

// strings.TrimSpace for ASCII: drops leading and trailing space, \t, \n,
// \v, \f, \r.
std::string_view TrimSpace(std::string_view s);

// strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
// Error (kInvalidArgument): `strconv.ParseBool: parsing "x": invalid syntax`.
Result<bool> ParseBool(std::string_view s);

// strconv.Atoi on 64-bit: optional sign, decimal digits, no spaces.
// Errors (kInvalidArgument): `strconv.Atoi: parsing "x": invalid syntax`,
// `... value out of range`.
Result<std::int64_t> Atoi(std::string_view s);

// Go's text for an errno: "no such file or directory", "permission denied".
std::string ErrnoText(int err);

// Go's text for a signal number: "killed", "terminated", "signal 40".
std::string SignalText(int sig);

// os/exec's ExitError text for a waitpid status: "exit status 2",
// "signal: killed", "signal: segmentation fault (core dumped)".
// Empty for a clean exit (status 0).
std::string WaitStatusText(int wait_status);

}  // namespace ckron::executor::gocompat

#endif  // CKRON_EXECUTOR_BUILTIN_GO_COMPAT_H_
