// libFuzzer target for the schedule parser and Next(). Built by the "fuzz"
// preset; run with tools/fuzz.sh. Invariants checked: no crash, no hang, and
// any accepted schedule yields instants strictly after the reference time.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "cron/schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view spec(reinterpret_cast<const char*>(data), size);
  ckron::cron::ParseOptions options;
  options.job_name = "fuzz-job";
  options.created_at = absl::FromUnixSeconds(1'700'000'000);
  auto schedule = ckron::cron::Schedule::Parse(spec, options);
  if (!schedule.ok()) return 0;
  absl::Time t = absl::FromUnixSeconds(1'700'000'000);
  for (int i = 0; i < 4; ++i) {
    auto next = schedule->Next(t);
    if (!next) break;
    CKRON_CHECK(*next > t);
    t = *next;
  }
  return 0;
}
