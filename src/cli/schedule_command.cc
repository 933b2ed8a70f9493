// `ckron schedule next EXPR`: the next fire times of a schedule, computed by
// the same engine the scheduler uses (cron/schedule.h), one RFC 3339 time
// per line in the schedule's zone.
#include <iostream>
#include <memory>

#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cron/schedule.h"

namespace ckron::cli {
namespace {

struct ScheduleFlags {
  std::string expr;
  std::string timezone = "Local";
  std::string from;
  int count = 5;
  std::string job_name;
};

}  // namespace

std::vector<Command> AddScheduleCommands(CLI::App& root) {
  CLI::App* schedule = root.add_subcommand("schedule", "Work with job schedules");
  schedule->require_subcommand(1);
  CLI::App* next = schedule->add_subcommand(
      "next", "Print the next fire times of a schedule (Dkron syntax, see docs/semantics.md)");
  auto f = std::make_shared<ScheduleFlags>();
  next->add_option("expr", f->expr, "The schedule, e.g. '0 30 2 * * *' or '@every 1h30m'")
      ->required();
  next->add_option("--timezone", f->timezone,
                   "IANA time zone the schedule runs in (the job's timezone field)")
      ->type_name("ZONE")
      ->capture_default_str();
  next->add_option("--from", f->from, "Start after this instant, RFC 3339 (default: now)")
      ->type_name("TIME");
  next->add_option("-n,--count", f->count, "How many fire times to print")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  next->add_option("--job-name", f->job_name,
                   "Job name, for schedules that use ~ (a value hashed from the name)")
      ->type_name("NAME");

  auto run = [next, f]() -> int {
    if (f->expr.find('~') != std::string::npos && f->job_name.empty()) {
      return UsageError(*next,
                        "the schedule uses ~ (a value hashed from the job name); pass --job-name");
    }
    auto zone = cron::LoadZone(f->timezone);
    if (!zone.ok()) return UsageError(*next, "--timezone: " + zone.status().message());
    absl::Time from = absl::Now();
    if (!f->from.empty()) {
      auto t = cron::ParseRfc3339(f->from);
      if (!t.ok()) return UsageError(*next, "--from: " + t.status().message());
      from = *t;
    }
    cron::ParseOptions options;
    options.job_name = f->job_name;
    options.default_zone = *zone;
    options.created_at = from;
    auto parsed = cron::Schedule::Parse(f->expr, options);
    if (!parsed.ok()) return UsageError(*next, parsed.status().message());
    absl::Time t = from;
    for (int i = 0; i < f->count; ++i) {
      auto fire = parsed->Next(t);
      if (!fire) break;
      std::cout << cron::FormatRfc3339(*fire, parsed->zone()) << "\n";
      t = *fire;
    }
    return kExitOk;
  };
  return {{next, run}};
}

}  // namespace ckron::cli
