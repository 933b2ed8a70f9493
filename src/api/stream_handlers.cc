// The live streams (docs/api.md, "Live streams"), as Server-Sent Events:
// GET /v1/events (event_hub.h) and GET /v1/jobs/{job}/executions/{id}/output
// (output_follower.h). Each handler checks the request, then returns a
// streaming response whose producer subscribes when the transport has sent
// the header; no handler thread stays with an open stream.
#include <mutex>

#include "api/event_hub.h"
#include "api/handlers.h"
#include "api/output_follower.h"
#include "api/sse.h"

namespace ckron::api::internal {
namespace {

// Tells EventSource how long to wait before reconnecting (ms).
constexpr char kRetry[] = "retry: 3000\n\n";

Response SseResponse(std::shared_ptr<StreamProducer> producer) {
  Response r;
  r.content_type = kSseContentType;
  r.stream = std::move(producer);
  r.heartbeat = kSseHeartbeat;
  return r;
}

class EventsProducer final : public StreamProducer {
 public:
  EventsProducer(EventHub* hub, std::string job) : hub_(hub), job_(std::move(job)) {}
  void Start(std::shared_ptr<StreamSink> sink) override {
    sink->Send(kRetry);
    id_ = hub_->Subscribe(std::move(sink), job_);
  }
  void Stop() override { hub_->Unsubscribe(id_); }

 private:
  EventHub* const hub_;
  const std::string job_;
  std::uint64_t id_ = 0;
};

class OutputProducer final : public StreamProducer {
 public:
  OutputProducer(OutputFollower* follower, std::string job, std::string id)
      : follower_(follower), job_(std::move(job)), id_(std::move(id)) {}
  void Start(std::shared_ptr<StreamSink> sink) override {
    sink->Send(kRetry);
    key_ = follower_->Add(std::move(sink), job_, id_);
  }
  void Stop() override { follower_->Remove(key_); }

 private:
  OutputFollower* const follower_;
  const std::string job_, id_;
  std::uint64_t key_ = 0;
};

// GET /v1/events[?job=<name>]
Response Events(EventHub* hub, Request& req) {
  if (hub == nullptr) return TextError(503, "live events are not available on this server");
  const std::string job = req.Query("job").value_or("");
  return SseResponse(std::make_shared<EventsProducer>(hub, job));
}

// GET /v1/jobs/{job}/executions/{id}/output
Response Output(Backend* backend, OutputFollower* follower, Request& req) {
  const std::string name = req.Param("job"), id = req.Param("id");
  const bool exists =
      backend->state().Read([&](const fsm::State& s) { return s.FindJob(name) != nullptr; });
  if (!exists) return TextError(404, "job \"" + name + "\" not found");
  const fsm::ExecutionStore* store =
      backend->state().Read([](const fsm::State& s) { return &s.executions(); });
  if (!store->Get(name, id)) {
    return TextError(404, "execution \"" + id + "\" of job \"" + name + "\" not found");
  }
  return SseResponse(std::make_shared<OutputProducer>(follower, name, id));
}

}  // namespace

void AddStreamRoutes(Router& router, Backend* backend, const ApiOptions& options,
                     OutputFollower* follower) {
  EventHub* hub = options.events;
  router.Add("GET", "/v1/events", [hub](Request& r) { return Events(hub, r); });
  router.Add("GET", "/v1/jobs/{job}/executions/{id}/output",
             [backend, follower](Request& r) { return Output(backend, follower, r); });
}

}  // namespace ckron::api::internal
