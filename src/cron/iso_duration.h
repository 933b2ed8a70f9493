// Internal to cron/: the ISO-8601 durations of `@after <time> <PT2H`.
#ifndef CKRON_CRON_ISO_DURATION_H_
#define CKRON_CRON_ISO_DURATION_H_

#include <string_view>

#include "absl/time/time.h"
#include "common/status.h"

namespace ckron::cron::internal {

// PnYnMnDTnHnMnS with any part optional (seconds may be fractional); a year
// counts 365 days and a month 30, as in Dkron. The result must be > 0.
Result<absl::Duration> ParseIso8601Duration(std::string_view text);

}  // namespace ckron::cron::internal

#endif  // CKRON_CRON_ISO_DURATION_H_
