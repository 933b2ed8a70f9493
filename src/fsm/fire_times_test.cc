// NextFire (apply.h): when a job fires next; RunExecutionId (job.h): the
// ids of a fire's runs.
#include <gtest/gtest.h>

#include <string>

#include "cron/schedule.h"
#include "cron/testing/time_text.h"
#include "fsm/apply.h"
#include "fsm/job.h"

namespace ckron::fsm {
namespace {

using cron::testing::T;

Job MakeJob(std::string name, std::string schedule) {
  Job j;
  j.name = std::move(name);
  j.schedule = std::move(schedule);
  return j;
}

TEST(NextFire, HonoursStartAndExpiry) {
  Job j = MakeJob("a", "0 0 * * * *");
  j.starts_at = T("2026-01-02T10:30:00Z");
  EXPECT_EQ(NextFire(j, T("2026-01-01T00:00:00Z")), T("2026-01-02T11:00:00Z"));
  j.starts_at = T("2026-01-02T11:00:00Z");  // a fire exactly at the start counts
  EXPECT_EQ(NextFire(j, T("2026-01-01T00:00:00Z")), T("2026-01-02T11:00:00Z"));
  j.expires_at = T("2026-01-02T10:59:59Z");
  EXPECT_EQ(NextFire(j, T("2026-01-01T00:00:00Z")), std::nullopt);
}

TEST(NextFire, UsesTheJobZoneAndUtcByDefault) {
  Job j = MakeJob("a", "@daily");
  EXPECT_EQ(NextFire(j, T("2026-01-01T12:00:00Z")), T("2026-01-02T00:00:00Z"));
  j.timezone = "Asia/Kolkata";
  EXPECT_EQ(NextFire(j, T("2026-01-01T12:00:00Z")), T("2026-01-02T00:00:00+05:30"));
}

TEST(NextFire, ChildJobsWithoutScheduleNeverFireOnTheirOwn) {
  Job j = MakeJob("a", "");
  EXPECT_EQ(NextFire(j, T("2026-01-01T12:00:00Z")), std::nullopt);
}

TEST(RunExecutionId, DeterministicPerRunAndDistinctAcrossAttemptsAndNodes) {
  EXPECT_EQ(RunExecutionId(1700000000000000000, 1, "n1"), "1700000000000000000-n1");
  EXPECT_EQ(RunExecutionId(1700000000000000000, 3, "n1"), "1700000000000000002-n1");
  EXPECT_NE(RunExecutionId(5, 1, "n1"), RunExecutionId(5, 1, "n2"));
  EXPECT_EQ(RunExecutionId(5, 2, "n1"), RunExecutionId(5, 2, "n1"));
}

}  // namespace
}  // namespace ckron::fsm
