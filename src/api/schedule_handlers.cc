// ckron: upcoming fire times, computed here with the scheduler's own rule
// (fsm::FirstFireFrom, then fsm::NextFire after each fire: the schedule's
// zone and DST rules, the @every phase, @at, starts_at / expires_at), so a
// client such as the web UI never re-implements time zones.
//   GET /v1/jobs/{job}/next?count=N          a stored job
//   GET /v1/schedule/next?schedule=S&timezone=Z&count=N   an unsaved one
// Both answer {"job", "schedule", "timezone", "next": [RFC 3339 in the
// schedule's zone], "reason"?}; `reason` says why `next` holds fewer than N.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "api/handlers.h"
#include "fsm/apply.h"

namespace ckron::api::internal {
namespace {

constexpr long long kDefaultCount = 5;
constexpr long long kMaxCount = 100;

Result<std::size_t> CountQuery(const Request& req) {
  const auto v = req.Query("count");
  if (!v || v->empty()) return static_cast<std::size_t>(kDefaultCount);
  long long n = 0;
  if (!absl::SimpleAtoi(*v, &n) || n < 1 || n > kMaxCount) {
    return Status::InvalidArgument("query parameter count must be an integer from 1 to " +
                                   std::to_string(kMaxCount) + ", got \"" + *v + "\"");
  }
  return static_cast<std::size_t>(n);
}

// The fires the leader's scheduler would queue from `now` on, at most
// `count` (scheduler.cc: FirstFireFrom when it loads the job, then NextFire
// after each fire).
std::vector<absl::Time> UpcomingFires(const fsm::Job& job, absl::Time now, std::size_t count) {
  std::vector<absl::Time> out;
  for (auto f = fsm::FirstFireFrom(job, now); f && out.size() < count; f = fsm::NextFire(job, *f)) {
    out.push_back(*f);
  }
  return out;
}

// Why a schedule yields fewer fires than asked (its fires are all listed).
std::string EndReason(const fsm::Job& job, absl::Time now, const absl::TimeZone& zone) {
  if (absl::StartsWith(job.schedule, "@manually")) {
    return "the schedule is @manually: the job runs only when started by hand";
  }
  if (job.expires_at) {
    return (*job.expires_at < now ? "the job expired at " : "the job expires at ") +
           FormatGoTime(*job.expires_at, zone);
  }
  return "the schedule has no more fires";
}

Json NextJson(const fsm::Job& job, const std::vector<absl::Time>& fires,
              const absl::TimeZone& zone) {
  Json next = Json::array();
  for (absl::Time t : fires) next.push_back(FormatGoTime(t, zone));
  Json o = Json::object();
  o["job"] = job.name;
  o["schedule"] = job.schedule;
  o["timezone"] = zone.name();
  o["next"] = std::move(next);
  return o;
}

Response JobNext(Backend* backend, Request& req) {
  auto count = CountQuery(req);
  if (!count.ok()) return ErrorResponse(count.status());
  const std::string name = req.Param("job");
  bool paused = false;
  const std::shared_ptr<const fsm::Job> job = backend->state().Read([&](const fsm::State& s) {
    paused = s.paused();
    return s.ShareJob(name);
  });
  if (!job) return TextError(404, "job \"" + name + "\" not found");
  const absl::TimeZone zone = fsm::ScheduleZone(*job);
  const absl::Time now = absl::Now();
  // What the dispatcher skips fires for (semantics §4.1), checked first.
  std::string reason;
  std::vector<absl::Time> fires;
  if (job->disabled) {
    reason = "the job is disabled";
  } else if (paused) {
    reason = "the cluster is paused: no job fires until POST /v1/unpause";
  } else if (job->schedule.empty()) {
    reason = job->parent_job.empty()
                 ? "the job has no schedule"
                 : "the job has no schedule: it runs after its parent \"" + job->parent_job + "\"";
  } else {
    fires = UpcomingFires(*job, now, *count);
    if (fires.size() < *count) reason = EndReason(*job, now, zone);
  }
  Json out = NextJson(*job, fires, zone);
  if (!reason.empty()) out["reason"] = reason;
  return JsonResponse(req, 200, out);
}

// The job validation message for `job`, prefixed with the query parameter
// it is about. The zone is checked alone first, so a bad zone is never
// blamed on the schedule.
std::optional<std::string> PreviewError(Backend* backend, fsm::Job job) {
  const std::string schedule = job.schedule;
  job.schedule = "@manually";
  if (Status s = backend->ValidateJob(job); !s.ok()) return "timezone: " + s.message();
  job.schedule = schedule;
  if (Status s = backend->ValidateJob(job); !s.ok()) return "schedule: " + s.message();
  return std::nullopt;
}

// The schedule as a job created now would have it (the @every phase and
// @after count from its creation).
Response ScheduleNext(Backend* backend, Request& req) {
  auto count = CountQuery(req);
  if (!count.ok()) return ErrorResponse(count.status());
  const auto schedule = req.Query("schedule");
  if (!schedule || schedule->empty()) {
    return TextError(400, "query parameter schedule is required");
  }
  fsm::Job job;
  // The name only feeds `~` in a field; an invalid one is not this
  // endpoint's concern.
  job.name = "preview";
  job.schedule = *schedule;
  job.timezone = req.Query("timezone").value_or("");
  if (auto error = PreviewError(backend, job)) return TextError(400, *error);
  const std::string name = req.Query("name").value_or("");
  if (!name.empty()) job.name = name;
  const absl::Time now = absl::Now();
  job.schedule_anchor = now;
  const absl::TimeZone zone = fsm::ScheduleZone(job);
  const std::vector<absl::Time> fires = UpcomingFires(job, now, *count);
  Json out = NextJson(job, fires, zone);
  out["job"] = name;
  if (fires.size() < *count) out["reason"] = EndReason(job, now, zone);
  return JsonResponse(req, 200, out);
}

}  // namespace

void AddScheduleRoutes(Router& router, Backend* b) {
  router.Add("GET", "/v1/jobs/{job}/next", [b](Request& r) { return JobNext(b, r); });
  router.Add("GET", "/v1/schedule/next", [b](Request& r) { return ScheduleNext(b, r); });
}

}  // namespace ckron::api::internal
