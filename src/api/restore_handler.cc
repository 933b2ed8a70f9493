// POST /v1/restore (dkron-spec §1.2): a multipart field `file` holding a
// JSON array of jobs, created parent first. The answer is Dkron's: a JSON
// string whose text is a JSON array of "success create <name>" /
// "fail create <name>: <why>" lines.
#include <set>

#include "api/handlers.h"
#include "api/multipart.h"

namespace ckron::api::internal {
namespace {

// Parents before children; a job whose parent is neither in the file nor
// already stored still goes last (the state machine then refuses it).
std::vector<fsm::Job> ParentFirst(std::vector<fsm::Job> jobs) {
  std::vector<fsm::Job> out;
  std::set<std::string> placed;
  std::set<std::string> in_file;
  for (const fsm::Job& j : jobs) in_file.insert(j.name);
  bool progress = true;
  while (!jobs.empty() && progress) {
    progress = false;
    for (auto it = jobs.begin(); it != jobs.end();) {
      if (it->parent_job.empty() || placed.count(it->parent_job) ||
          !in_file.count(it->parent_job)) {
        placed.insert(it->name);
        out.push_back(std::move(*it));
        it = jobs.erase(it);
        progress = true;
      } else {
        ++it;
      }
    }
  }
  for (fsm::Job& j : jobs) out.push_back(std::move(j));  // a cycle
  return out;
}

Response Restore(Backend* b, const ApiOptions& options, Request& req) {
  const auto file = MultipartField(req.Header("content-type"), req.body, "file");
  if (!file) return TextError(404, "no multipart form field \"file\" in the request");
  const nlohmann::json v = nlohmann::json::parse(*file, nullptr, false);
  if (v.is_discarded() || !v.is_array()) {
    return TextError(400, "Unable to parse payload: \"file\" must be a JSON array of jobs.");
  }
  std::vector<fsm::Job> jobs;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto job = JobFromJsonValue(v[i], "[" + std::to_string(i) + "].");
    if (!job.ok()) return TextError(400, job.status().message());
    jobs.push_back(std::move(*job));
  }
  Json lines = Json::array();
  for (fsm::Job& job : ParentFirst(std::move(jobs))) {
    const std::string name = job.name;
    Status s = b->ValidateJob(job);
    if (s.ok()) {
      auto outcome = b->Propose(fsm::PutJob{std::move(job)}, WriteDeadline(options));
      s = outcome.ok() ? outcome->status : outcome.status();
    }
    lines.push_back(s.ok() ? "success create " + name : "fail create " + name + ": " + s.message());
  }
  return JsonResponse(req, 200, Json(Dump(lines, false)));
}

}  // namespace

void AddRestoreRoute(Router& router, Backend* b, const ApiOptions& o) {
  const ApiOptions* opts = &o;
  router.Add("POST", "/v1/restore", [b, opts](Request& r) { return Restore(b, *opts, r); });
}

}  // namespace ckron::api::internal
