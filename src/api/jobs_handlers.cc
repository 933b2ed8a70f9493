// /v1/jobs: list (filters, sort, paging), get, create-or-update, delete,
// run, toggle (dkron-spec §1.2, §1.3).
#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "api/handlers.h"
#include "common/log.h"

namespace ckron::api::internal {
namespace {

using JobPtr = std::shared_ptr<const fsm::Job>;

// What GET /v1/jobs filters on (all must match).
struct JobFilter {
  std::optional<std::string> q, status, disabled;
  std::map<std::string, std::string> metadata;
  std::map<std::string, std::string> tags;  // ckron

  bool empty() const { return !q && !status && !disabled && metadata.empty() && tags.empty(); }
  bool Matches(const fsm::Job& j) const {
    if (q && j.name.find(*q) == std::string::npos && j.displayname.find(*q) == std::string::npos) {
      return false;
    }
    if (status) {
      const std::string want = *status == "untriggered" ? "" : *status;
      if (j.status != want) return false;
    }
    if (disabled && *disabled != (j.disabled ? "true" : "false")) return false;
    for (const auto& [k, v] : metadata) {
      auto it = j.metadata.find(k);
      if (it == j.metadata.end() || it->second != v) return false;
    }
    for (const auto& [k, v] : tags) {
      auto it = j.tags.find(k);
      if (it == j.tags.end() || !TagValueMatches(it->second, v)) return false;
    }
    return true;
  }

  // A job's tag "value[:count]" (dkron-spec §4.2) matches its value, the
  // part before the first ':' as the dispatcher reads it; the whole text
  // matches too, so `tags[k]=web:2` finds exactly that.
  static bool TagValueMatches(const std::string& job_value, const std::string& want) {
    return job_value == want || job_value.substr(0, job_value.find(':')) == want;
  }
};

JobFilter FilterOf(const Request& req) {
  JobFilter f;
  f.q = req.Query("q");
  if (f.q && f.q->empty()) f.q.reset();
  f.status = req.Query("status");
  if (f.status && f.status->empty()) f.status.reset();
  f.disabled = req.Query("disabled");
  if (f.disabled && f.disabled->empty()) f.disabled.reset();
  for (const auto& [k, v] : req.query) {
    // gin's QueryMap: metadata[key]=value
    if (k.size() > 10 && k.rfind("metadata[", 0) == 0 && k.back() == ']') {
      f.metadata[k.substr(9, k.size() - 10)] = v;
    } else if (k.size() > 6 && k.rfind("tags[", 0) == 0 && k.back() == ']') {
      f.tags[k.substr(5, k.size() - 6)] = v;  // ckron: tags[key]=value
    }
  }
  return f;
}

// Orders by one of Dkron's sortable fields, then by name.
bool SortLess(const std::string& key, const fsm::Job& a, const fsm::Job& b) {
  auto by = [&](const auto& x, const auto& y) {
    if (x != y) return x < y;
    return a.name < b.name;
  };
  auto opt = [](const std::optional<absl::Time>& t) { return t.value_or(absl::InfinitePast()); };
  auto next = [](const fsm::Job& j) { return j.next_known ? j.next : absl::InfinitePast(); };
  if (key == "displayname") return by(a.displayname, b.displayname);
  if (key == "schedule") return by(a.schedule, b.schedule);
  if (key == "success_count") return by(a.success_count, b.success_count);
  if (key == "error_count") return by(a.error_count, b.error_count);
  if (key == "last_success") return by(opt(a.last_success), opt(b.last_success));
  if (key == "last_error") return by(opt(a.last_error), opt(b.last_error));
  if (key == "next") return by(next(a), next(b));
  return a.name < b.name;
}

bool KnownSort(const std::string& key) {
  static const char* const kKeys[] = {"name",        "displayname",  "schedule",   "success_count",
                                      "error_count", "last_success", "last_error", "next"};
  return std::any_of(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return key == k; });
}

// GET /v1/jobs. Sorted by name without filters (the natural order of the
// job table), only the page is visited and copied: O(_end) to skip to it,
// never a copy of every job. Filters and other sorts must look at every
// job; they keep pointers only and encode just the page.
Response ListJobs(Backend* backend, Request& req) {
  std::string sort = req.Query("_sort").value_or("id");
  if (sort.empty() || sort == "id") sort = "name";
  if (!KnownSort(sort)) {
    return TextError(400, "unknown _sort \"" + sort +
                              "\"; use name, displayname, schedule, success_count, error_count, "
                              "last_success, last_error or next");
  }
  const bool desc = absl::AsciiStrToUpper(req.Query("_order").value_or("ASC")) == "DESC";
  auto start = IntQuery(req, "_start", 0);
  if (!start.ok()) return ErrorResponse(start.status());
  auto end = IntQuery(req, "_end", -1);
  if (!end.ok()) return ErrorResponse(end.status());
  const JobFilter filter = FilterOf(req);

  std::vector<JobPtr> page;
  std::size_t total = 0;
  backend->state().Read([&](const fsm::State& s) {
    const fsm::JobTable& jobs = s.jobs();
    if (filter.empty() && sort == "name") {
      total = jobs.size();
      const std::size_t e =
          *end < 0 ? total : std::min<std::size_t>(total, static_cast<std::size_t>(*end));
      const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(*start), e);
      // Descending positions [b, e) are ascending positions [total-e, total-b).
      const std::size_t from = desc ? total - e : b;
      const std::size_t to = desc ? total - b : e;
      std::size_t i = 0;
      jobs.ForEachByName([&](const fsm::Job& j) {
        if (i >= to) return false;
        if (i++ >= from) page.push_back(s.ShareJob(j.name));
        return true;
      });
      if (desc) std::reverse(page.begin(), page.end());
      return;
    }
    std::vector<JobPtr> all;
    jobs.ForEachByName([&](const fsm::Job& j) {
      if (filter.Matches(j)) all.push_back(s.ShareJob(j.name));
      return true;
    });
    page = std::move(all);
  });
  if (!(filter.empty() && sort == "name")) {
    total = page.size();
    if (sort != "name") {
      std::stable_sort(page.begin(), page.end(),
                       [&](const JobPtr& a, const JobPtr& b) { return SortLess(sort, *a, *b); });
    }
    if (desc) std::reverse(page.begin(), page.end());
    const std::size_t e =
        *end < 0 ? total : std::min<std::size_t>(total, static_cast<std::size_t>(*end));
    const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(*start), e);
    page = std::vector<JobPtr>(page.begin() + static_cast<std::ptrdiff_t>(b),
                               page.begin() + static_cast<std::ptrdiff_t>(e));
  }
  Response r;
  if (req.HasQuery("pretty")) {
    Json out = Json::array();
    for (const JobPtr& j : page) out.push_back(JobToJson(*j));
    r = JsonResponse(req, 200, out);
  } else {
    r.body = "[";
    for (std::size_t i = 0; i < page.size(); ++i) {
      if (i > 0) r.body += ',';
      r.body += JobJsonText(*page[i]);
    }
    r.body += ']';
  }
  r.SetHeader("X-Total-Count", std::to_string(total));
  return r;
}

JobPtr FindJob(Backend* backend, const std::string& name) {
  return backend->state().Read([&](const fsm::State& s) { return s.ShareJob(name); });
}

Response JobNotFound(const std::string& name) {
  return TextError(404, "job \"" + name + "\" not found");
}

Response GetJob(Backend* backend, Request& req) {
  const JobPtr job = FindJob(backend, req.Param("job"));
  if (!job) return JobNotFound(req.Param("job"));
  return JobResponse(req.HasQuery("pretty"), 200, job.get());
}

// The answer to a job upsert once proposed.
Response PutJobAnswer(const Result<fsm::Outcome>& outcome, bool pretty, const std::string& name) {
  if (!outcome.ok()) return ErrorResponse(outcome.status());
  if (!outcome->status.ok()) {
    const Status& s = outcome->status;
    if (s.code() == StatusCode::kInvalidArgument) {
      return TextError(400, "Job validation failed: " + s.message() + ".");
    }
    return ErrorResponse(s);
  }
  Response r = OutcomeJobResponse(pretty, 201, *outcome);
  r.SetHeader("Location", "/v1/jobs/" + name);
  return r;
}

// POST/PATCH /v1/jobs and PUT /v1/jobs/{job}: the name comes from the body
// (Dkron ignores the path parameter). Runs inline (decode, admission, an
// asynchronous proposal) unless ?runoncreate asks for a manual run, which
// may block.
Response PutJob(Backend* backend, const ApiOptions& options, Request& req) {
  if (backend->state().Read([](const fsm::State& s) { return s.paused(); })) {
    return TextError(503, "New job submissions are currently paused");
  }
  auto job = JobFromJson(req.body);
  if (!job.ok()) return TextError(400, job.status().message());
  if (Status s = backend->ValidateJob(*job); !s.ok()) {
    return TextError(400, "Job validation failed: " + s.message() + ".");
  }
  const bool pretty = req.HasQuery("pretty");
  std::string name = job->name;
  if (!req.HasQuery("runoncreate")) {
    return ProposeThen(backend, fsm::PutJob{std::move(*job)}, WriteDeadline(options),
                       [pretty, name = std::move(name)](const Result<fsm::Outcome>& outcome) {
                         return PutJobAnswer(outcome, pretty, name);
                       });
  }
  auto outcome = backend->Propose(fsm::PutJob{std::move(*job)}, WriteDeadline(options));
  if (outcome.ok() && outcome->status.ok()) {
    if (Status s = backend->RunJob(name, false, WriteDeadline(options)); !s.ok()) {
      logging::Get("api")->warn("api: runoncreate of job {}: {}", name, s.ToString());
    }
  }
  return PutJobAnswer(outcome, pretty, name);
}

bool PutJobRunsInline(const Request& req) {
  return !req.HasQuery("runoncreate");
}

// The most a listing may walk on the I/O thread (ListJobs walks the name
// index from its start up to _end).
constexpr long long kInlineListMax = 1000;

// A listing is answered on the I/O thread when its work is bounded and
// small: no filter, the name order ascending, and an _end of at most
// kInlineListMax (a UI page, the benchmark's first 25). Anything else (a
// filter or another order visits every job) runs on the handler pool.
bool ListJobsRunsInline(const Request& req) {
  if (!FilterOf(req).empty()) return false;
  const std::string sort = req.Query("_sort").value_or("");
  if (!sort.empty() && sort != "id" && sort != "name") return false;
  if (absl::AsciiStrToUpper(req.Query("_order").value_or("ASC")) != "ASC") return false;
  const auto end = req.Query("_end");
  long long n = 0;
  return end && absl::SimpleAtoi(*end, &n) && n >= 0 && n <= kInlineListMax;
}

Response DeleteJob(Backend* backend, const ApiOptions& options, Request& req) {
  const bool pretty = req.HasQuery("pretty");
  return ProposeThen(backend, fsm::DeleteJob{req.Param("job")}, WriteDeadline(options),
                     [pretty](const Result<fsm::Outcome>& outcome) {
                       if (!outcome.ok()) return ErrorResponse(outcome.status());
                       // Dkron answers 404 for every refusal (unknown job,
                       // dependent jobs).
                       if (!outcome->status.ok()) return ErrorResponse(outcome->status, 404);
                       return OutcomeJobResponse(pretty, 200, *outcome);
                     });
}

// POST /v1/jobs/{job} and /v1/jobs/{job}/run: asynchronous (brief): returns
// once the fire is recorded, not when the job finishes.
Response RunJob(Backend* backend, const ApiOptions& options, Request& req) {
  const std::string name = req.Param("job");
  const bool force = req.Query("force").value_or("") == "true";
  // The leader decides whether the job exists: a follower that has not yet
  // applied a job just created through it must not answer 404.
  if (Status s = backend->RunJob(name, force, WriteDeadline(options)); !s.ok()) {
    return ErrorResponse(s);
  }
  // The fire is applied on the leader; this server shows the job once it
  // has applied it too (a short, bounded wait on a lagging follower).
  JobPtr job = FindJob(backend, name);
  for (int i = 0; !job && i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    job = FindJob(backend, name);
  }
  if (!job) return JobNotFound(name);
  Response r = JobResponse(req.HasQuery("pretty"), 200, job.get());
  r.SetHeader("Location", "/v1/jobs/" + name);
  return r;
}

Response ToggleJob(Backend* backend, const ApiOptions& options, Request& req) {
  const std::string name = req.Param("job");
  const JobPtr job = FindJob(backend, name);
  if (!job) return JobNotFound(name);
  const bool pretty = req.HasQuery("pretty");
  return ProposeThen(backend, fsm::SetJobDisabled{name, !job->disabled}, WriteDeadline(options),
                     [pretty](const Result<fsm::Outcome>& outcome) {
                       if (!outcome.ok()) return ErrorResponse(outcome.status());
                       if (!outcome->status.ok()) {
                         return ErrorResponse(
                             outcome->status,
                             outcome->status.code() == StatusCode::kNotFound ? 404 : 422);
                       }
                       return OutcomeJobResponse(pretty, 200, *outcome);
                     });
}

}  // namespace

void AddJobRoutes(Router& router, Backend* b, const ApiOptions& o) {
  const ApiOptions* opts = &o;
  // Writes, and reads of a bounded part of the in-memory state, run inline
  // (on the transport's I/O thread) when nothing in them blocks; the
  // middleware decides too (ApiOptions::middleware_may_block).
  const auto put_inline = o.middleware_may_block ? Router::InlineIf() : PutJobRunsInline;
  const auto list_inline = o.middleware_may_block ? Router::InlineIf() : ListJobsRunsInline;
  const auto always = InlineUnlessMiddlewareBlocks(o);
  router.Add(
      "GET", "/v1/jobs", [b](Request& r) { return ListJobs(b, r); }, list_inline);
  const auto put = [b, opts](Request& r) { return PutJob(b, *opts, r); };
  router.Add("POST", "/v1/jobs", put, put_inline);
  router.Add("PATCH", "/v1/jobs", put, put_inline);
  router.Add("PUT", "/v1/jobs/{job}", put, put_inline);
  router.Add(
      "GET", "/v1/jobs/{job}", [b](Request& r) { return GetJob(b, r); }, always);
  router.Add(
      "DELETE", "/v1/jobs/{job}", [b, opts](Request& r) { return DeleteJob(b, *opts, r); }, always);
  router.Add("POST", "/v1/jobs/{job}", [b, opts](Request& r) { return RunJob(b, *opts, r); });
  router.Add("POST", "/v1/jobs/{job}/run", [b, opts](Request& r) { return RunJob(b, *opts, r); });
  router.Add(
      "POST", "/v1/jobs/{job}/toggle", [b, opts](Request& r) { return ToggleJob(b, *opts, r); },
      always);
}

}  // namespace ckron::api::internal
