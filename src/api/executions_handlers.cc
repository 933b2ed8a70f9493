// /v1/jobs/{job}/executions: list (sorted, paged, outputs truncated on
// request), get one, delete all, and ckron's cancel (dkron-spec §1.2, §1.3).
#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "api/handlers.h"

namespace ckron::api::internal {
namespace {

struct JobView {
  bool exists = false;
  absl::TimeZone zone;
  const fsm::ExecutionStore* store = nullptr;
};

JobView ViewJob(Backend* backend, const std::string& name) {
  return backend->state().Read([&](const fsm::State& s) {
    JobView v;
    const fsm::Job* job = s.FindJob(name);
    v.store = &s.executions();
    if (job != nullptr) {
      v.exists = true;
      v.zone = JobZone(*job);
    }
    return v;
  });
}

// GET /v1/jobs/{job}/executions. The store holds at most 100 executions
// per job (plus running ones): their records are read and sorted, and only
// the requested page's outputs are loaded.
Response ListExecutions(Backend* backend, Request& req) {
  const std::string name = req.Param("job");
  const JobView job = ViewJob(backend, name);
  if (!job.exists) return TextError(404, "job \"" + name + "\" not found");
  const std::string sort = req.Query("_sort").value_or("");
  const bool desc = absl::AsciiStrToUpper(req.Query("_order").value_or("DESC")) == "DESC";
  auto limit = IntQuery(req, "output_size_limit", -1);
  if (!limit.ok()) return ErrorResponse(limit.status());
  auto start = IntQuery(req, "_start", 0);
  if (!start.ok()) return ErrorResponse(start.status());
  auto end = IntQuery(req, "_end", -1);
  if (!end.ok()) return ErrorResponse(end.status());

  std::vector<fsm::Execution> all;
  // Dkron answers an unknown index with an empty list.
  const bool known = sort.empty() || sort == "id" || sort == "started_at" ||
                     sort == "finished_at" || sort == "attempt";
  if (known) {
    // Records without outputs; only the page's outputs are read below.
    job.store->Scan(name, false, [&](const fsm::Execution& e) {
      all.push_back(e);
      return true;
    });
  }
  // Scan is oldest first (started_at, id), the store's key order.
  if (sort == "finished_at") {
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return a.finished_at.value_or(absl::InfinitePast()) <
             b.finished_at.value_or(absl::InfinitePast());
    });
  } else if (sort == "attempt") {
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return a.attempt < b.attempt; });
  }
  if (desc) std::reverse(all.begin(), all.end());
  const std::size_t total = all.size();
  const std::size_t e =
      *end < 0 ? total : std::min<std::size_t>(total, static_cast<std::size_t>(*end));
  const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(*start), e);
  Json out = Json::array();
  for (std::size_t i = b; i < e; ++i) {
    fsm::Execution& x = all[i];
    if (auto full = job.store->Get(name, x.id)) x.output = std::move(full->output);
    bool truncated = false;
    if (*limit >= 0 && x.output.size() > static_cast<std::size_t>(*limit)) {
      x.output = x.output.substr(x.output.size() - static_cast<std::size_t>(*limit));
      truncated = true;
    }
    out.push_back(ExecutionToJson(x, job.zone, truncated));
  }
  Response r = JsonResponse(req, 200, out);
  r.SetHeader("X-Total-Count", std::to_string(total));
  return r;
}

Response GetExecution(Backend* backend, Request& req) {
  const std::string name = req.Param("job"), id = req.Param("id");
  const JobView job = ViewJob(backend, name);
  if (!job.exists) return TextError(404, "job \"" + name + "\" not found");
  auto e = job.store->Get(name, id);
  if (!e) return TextError(404, "execution \"" + id + "\" of job \"" + name + "\" not found");
  if (e->running()) {
    if (auto live = backend->LiveOutput(name, id)) e->output = std::move(*live);
  }
  return JsonResponse(req, 200, ExecutionToJson(*e, absl::UTCTimeZone()));
}

Response DeleteExecutions(Backend* backend, const ApiOptions& options, Request& req) {
  const std::string name = req.Param("job");
  auto outcome = backend->Propose(fsm::DeleteExecutions{name}, WriteDeadline(options));
  if (!outcome.ok()) return ErrorResponse(outcome.status());
  if (!outcome->status.ok()) return ErrorResponse(outcome->status);
  return OutcomeJobResponse(req.HasQuery("pretty"), 200, *outcome);
}

// ckron: POST /v1/jobs/{job}/executions/{id}/cancel kills a running
// execution; its result then arrives as failed ("cancelled").
Response CancelExecution(Backend* backend, const ApiOptions& options, Request& req) {
  const std::string name = req.Param("job"), id = req.Param("id");
  const JobView job = ViewJob(backend, name);
  if (!job.exists) return TextError(404, "job \"" + name + "\" not found");
  auto e = job.store->Get(name, id);
  if (e && !e->running()) {
    return TextError(409, "execution \"" + id + "\" of job \"" + name + "\" already finished");
  }
  // Not stored: a run sent to its node whose start is not recorded yet
  // (docs/semantics.md §4.1b) can still be cancelled; the backend finds
  // its node from the pending run.
  if (Status s = backend->CancelExecution(name, id, WriteDeadline(options)); !s.ok()) {
    if (!e && s.code() == StatusCode::kNotFound) {
      return TextError(404, "execution \"" + id + "\" of job \"" + name + "\" not found");
    }
    return ErrorResponse(s);
  }
  if (!e) {  // all that is known of it yet
    e.emplace();
    e->job_name = name;
    e->id = id;
  }
  return JsonResponse(req, 202, ExecutionToJson(*e, absl::UTCTimeZone()));
}

}  // namespace

void AddExecutionRoutes(Router& router, Backend* b, const ApiOptions& o) {
  const ApiOptions* opts = &o;
  router.Add("GET", "/v1/jobs/{job}/executions", [b](Request& r) { return ListExecutions(b, r); });
  router.Add("DELETE", "/v1/jobs/{job}/executions",
             [b, opts](Request& r) { return DeleteExecutions(b, *opts, r); });
  router.Add("GET", "/v1/jobs/{job}/executions/{id}",
             [b](Request& r) { return GetExecution(b, r); });
  router.Add("POST", "/v1/jobs/{job}/executions/{id}/cancel",
             [b, opts](Request& r) { return CancelExecution(b, *opts, r); });
}

}  // namespace ckron::api::internal
