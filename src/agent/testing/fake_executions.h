// A test double of the servers' Executions service (run.proto): records
// reports (Report and ReportMany) and lease renewals, and can be told to
// fail, to refuse as a follower with a leader hint, to reject reports for
// good, or to serve only Report as an older server does.
//
// Thread safety: safe for concurrent use (handlers run on gRPC threads).
#ifndef CKRON_AGENT_TESTING_FAKE_EXECUTIONS_H_
#define CKRON_AGENT_TESTING_FAKE_EXECUTIONS_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ckron/v1/run.grpc.pb.h"
#include "common/status.h"
#include "rpc/status_codec.h"

namespace ckron::agent::testing {

class FakeExecutions final : public ckron::v1::Executions::Service {
 public:
  struct Renewal {
    std::string node_name;
    std::vector<std::string> ids;
  };

  // The next `n` Report calls fail with `status` (then they succeed).
  void FailReports(int n, Status status) {
    std::lock_guard lock(mu_);
    fail_reports_ = n;
    failure_ = std::move(status);
  }

  // Every Report call first waits `delay` (as a Raft commit would).
  void DelayReports(std::chrono::milliseconds delay) {
    std::lock_guard lock(mu_);
    delay_ = delay;
  }

  // false: ReportMany answers UNIMPLEMENTED, as an older server would.
  void ServeReportMany(bool serve) {
    std::lock_guard lock(mu_);
    serve_report_many_ = serve;
  }

  grpc::Status Report(grpc::ServerContext*, const ckron::v1::ReportRequest* request,
                      ckron::v1::ReportResponse*) override {
    EnterCall();
    std::lock_guard lock(mu_);
    --concurrent_reports_;
    ++report_calls_;
    Status s = Take(request->execution());
    cv_.notify_all();
    return rpc::ToGrpc(s);
  }

  grpc::Status ReportMany(grpc::ServerContext*, const ckron::v1::ReportManyRequest* request,
                          ckron::v1::ReportManyResponse* response) override {
    {
      std::lock_guard lock(mu_);
      if (!serve_report_many_) return {grpc::StatusCode::UNIMPLEMENTED, "not served here"};
    }
    EnterCall();
    std::lock_guard lock(mu_);
    --concurrent_reports_;
    batch_sizes_.push_back(request->executions_size());
    for (const auto& e : request->executions()) {
      rpc::StatusToFields(Take(e), response->add_results());
    }
    cv_.notify_all();
    return grpc::Status::OK;
  }

  grpc::Status RenewLeases(grpc::ServerContext*, const ckron::v1::RenewLeasesRequest* request,
                           ckron::v1::RenewLeasesResponse* response) override {
    std::lock_guard lock(mu_);
    Renewal r{.node_name = request->node_name(), .ids = {}};
    for (const auto& e : request->executions()) r.ids.push_back(e.id());
    renewals_.push_back(std::move(r));
    response->set_lease_until_ns(1);
    cv_.notify_all();
    return grpc::Status::OK;
  }

  // Waits up to `timeout` for `done` (called with the lock held) to hold.
  bool WaitFor(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, done);
  }

  // Accessors for use inside WaitFor predicates (lock held) or after.
  const std::vector<ckron::v1::fsm::Execution>& acked() const { return acked_; }
  const std::vector<Renewal>& renewals() const { return renewals_; }
  int report_calls() const { return report_calls_; }
  const std::vector<int>& batch_sizes() const { return batch_sizes_; }

  // Copies taken under the lock.
  std::vector<ckron::v1::fsm::Execution> AckedSnapshot() {
    std::lock_guard lock(mu_);
    return acked_;
  }
  std::vector<Renewal> RenewalsSnapshot() {
    std::lock_guard lock(mu_);
    return renewals_;
  }
  // The most Report calls that were in progress at once.
  int MaxConcurrentReports() {
    std::lock_guard lock(mu_);
    return max_concurrent_reports_;
  }
  int ReportCalls() {
    std::lock_guard lock(mu_);
    return report_calls_;
  }
  // Results received (one per result in a ReportMany, one per Report).
  int Attempts() {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  // The number of results of each ReportMany call, in order.
  std::vector<int> BatchSizes() {
    std::lock_guard lock(mu_);
    return batch_sizes_;
  }

 private:
  // Counts a call in progress, then waits the configured delay.
  void EnterCall() {
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(mu_);
      max_concurrent_reports_ = std::max(max_concurrent_reports_, ++concurrent_reports_);
      delay = delay_;
    }
    std::this_thread::sleep_for(delay);
  }
  // One result's verdict: the next configured failure, else acked.
  // REQUIRES: mu_ held.
  Status Take(const ckron::v1::fsm::Execution& e) {
    ++attempts_;
    if (fail_reports_ != 0) {
      if (fail_reports_ > 0) --fail_reports_;
      return failure_;
    }
    acked_.push_back(e);
    return OkStatus();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int fail_reports_ = 0;  // < 0: fail forever
  std::chrono::milliseconds delay_{0};
  int concurrent_reports_ = 0, max_concurrent_reports_ = 0;
  Status failure_ = Status::Unavailable("fake failure");
  int report_calls_ = 0;
  int attempts_ = 0;
  bool serve_report_many_ = true;
  std::vector<int> batch_sizes_;
  std::vector<ckron::v1::fsm::Execution> acked_;
  std::vector<Renewal> renewals_;
};

}  // namespace ckron::agent::testing

#endif  // CKRON_AGENT_TESTING_FAKE_EXECUTIONS_H_
