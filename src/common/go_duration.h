// Go's duration syntax, used by Dkron users everywhere: config
// (`retry-interval: 30s`), `@every 1h30m`, executor `timeout`. Parsing
// follows Go's time.ParseDuration: an optional sign, then one or more
// decimal numbers with a unit (ns, us, µs, μs, ms, s, m, h), e.g. "1h2m3.5s";
// "0" alone is allowed. Formatting follows time.Duration.String().
//
// Thread safety: pure functions.
#ifndef CKRON_COMMON_GO_DURATION_H_
#define CKRON_COMMON_GO_DURATION_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/status.h"

namespace ckron {

// Errors (kInvalidArgument) read like Go's: `invalid duration "x"`,
// `missing unit in duration "1"`, `unknown unit "d" in duration "1d"`,
// `duration "..." overflows` (beyond ±2562047h, Go's int64 nanoseconds).
Result<absl::Duration> ParseGoDuration(std::string_view text);

// "1h30m0s", "30s", "1.5s", "250ms", "0s" — exactly Go's String().
std::string FormatGoDuration(absl::Duration d);

}  // namespace ckron

#endif  // CKRON_COMMON_GO_DURATION_H_
