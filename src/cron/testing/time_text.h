// Tests: an instant from RFC 3339 text, failing the test (and giving the
// epoch) when the text does not parse.
#ifndef CKRON_CRON_TESTING_TIME_TEXT_H_
#define CKRON_CRON_TESTING_TIME_TEXT_H_

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "cron/schedule.h"

namespace ckron::cron::testing {

inline absl::Time T(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.value_or(absl::UnixEpoch());
}

}  // namespace ckron::cron::testing

#endif  // CKRON_CRON_TESTING_TIME_TEXT_H_
