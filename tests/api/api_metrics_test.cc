// Metrics of a real `ckron agent --server`: GET /metrics in Prometheus text
// with ckron_ names and Dkron's dkron_ aliases, requests counted by route
// pattern (never the raw path), a scheduled job's fire, execution and
// trigger lag, and the statsd and DogStatsD sinks sending metric lines to
// UDP sockets this test listens on.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>

#include "api_harness.h"

namespace ckron::testing {
namespace {

// A UDP socket on 127.0.0.1, non-blocking; Drain() appends what arrived.
class UdpListener {
 public:
  UdpListener() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~UdpListener() { close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& Drain() {
    std::array<char, 65536> buf{};
    ssize_t n = 0;
    while ((n = recv(fd_, buf.data(), buf.size(), 0)) > 0) {
      received_.append(buf.data(), static_cast<std::size_t>(n));
      received_ += '\n';
    }
    return received_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::string received_;
};

class MetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    statsd_ = new UdpListener();
    dogstatsd_ = new UdpListener();
    cluster_ = new ApiCluster(
        1, {"--statsd-addr", statsd_->address(), "--dog-statsd-addr", dogstatsd_->address(),
            "--dog-statsd-tags", "env:test", "--metrics-job-series-limit", "1"});
    const Status s = cluster_->Start();
    if (!s.ok()) failed_start_ = s.ToString();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    delete statsd_;
    delete dogstatsd_;
  }
  void SetUp() override { ASSERT_TRUE(failed_start_.empty()) << failed_start_; }
  static const std::string& addr() { return cluster_->http(0); }
  static std::string Metrics() {
    const HttpReply r = Http(addr(), "GET", "/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("content-type").rfind("text/plain; version=0.0.4", 0), 0u)
        << r.Header("content-type");
    return r.body;
  }

  static ApiCluster* cluster_;
  static UdpListener* statsd_;
  static UdpListener* dogstatsd_;
  static std::string failed_start_;
};
ApiCluster* MetricsTest::cluster_ = nullptr;
UdpListener* MetricsTest::statsd_ = nullptr;
UdpListener* MetricsTest::dogstatsd_ = nullptr;
std::string MetricsTest::failed_start_;

TEST_F(MetricsTest, PrometheusTextWithCkronAndDkronNames) {
  const std::string text = Metrics();
  for (const char* name : {"# TYPE ckron_fires_total counter", "ckron_trigger_lag_seconds_bucket",
                           "ckron_raft_commit_seconds", "ckron_scheduler_start",
                           "dkron_scheduler_start", "ckron_http_requests_total"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from:\n" << text;
  }
}

TEST_F(MetricsTest, RequestsAreCountedByRoutePattern) {
  ASSERT_EQ(Http(addr(), "GET", "/v1/jobs/no-such-job").status, 404);
  ASSERT_EQ(Http(addr(), "GET", "/v1/jobs/other-missing-job").status, 404);
  ASSERT_EQ(Http(addr(), "GET", "/v1/nowhere").status, 404);
  const std::string text = Metrics();
  // Labels are sorted by name in the exposition.
  const std::string by_route =
      "ckron_http_requests_total{code=\"404\",method=\"GET\",route=\"/v1/jobs/{job}\"} 2";
  EXPECT_NE(text.find(by_route), std::string::npos) << text;
  EXPECT_NE(text.find("route=\"unmatched\""), std::string::npos) << text;
  EXPECT_EQ(text.find("no-such-job"), std::string::npos) << "raw path in a label:\n" << text;
  EXPECT_NE(text.find("ckron_http_request_seconds_count{route=\"/v1/jobs/{job}\"}"),
            std::string::npos)
      << text;
}

TEST_F(MetricsTest, StatsdAndDogStatsdReceiveSamples) {
  ASSERT_EQ(Http(addr(), "GET", "/v1/members").status, 200);
  // statsd: label values appended to the key in label-name order (code,
  // method, route).
  EXPECT_TRUE(Eventually(
      [] {
        return statsd_->Drain().find("ckron.http_requests.200.GET./v1/members:1|c") !=
               std::string::npos;
      },
      20s))
      << statsd_->Drain();
  EXPECT_TRUE(Eventually(
      [] { return dogstatsd_->Drain().find("route:/v1/members") != std::string::npos; }, 20s))
      << dogstatsd_->Drain();
  const std::string dog = dogstatsd_->Drain();
  EXPECT_NE(dog.find("ckron.http_requests:1|c|#code:200,method:GET,route:/v1/members"),
            std::string::npos)
      << dog;
  EXPECT_NE(dog.find("host:s0"), std::string::npos) << dog;
  EXPECT_NE(dog.find("env:test"), std::string::npos) << dog;
}

// The value of the first sample line starting with `prefix`, or -1.
double Sample(const std::string& text, const std::string& prefix) {
  std::size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      const std::size_t sp = text.find(' ', at + prefix.size());
      const std::size_t nl = text.find('\n', at);
      if (sp != std::string::npos && sp < nl) return std::stod(text.substr(sp + 1, nl - sp - 1));
    }
    at += prefix.size();
  }
  return -1;
}

TEST_F(MetricsTest, AFiredJobCountsAFireAnExecutionAndItsTriggerLag) {
  const std::string job = R"({"name":"tick","schedule":"@every 1s","executor":"shell",)"
                          R"("executor_config":{"command":"true"}})";
  ASSERT_EQ(Http(addr(), "POST", "/v1/jobs", job).status, 201);
  std::string text;
  EXPECT_TRUE(Eventually(
      [&] {
        text = Metrics();
        return Sample(text, "ckron_fires_total{kind=\"scheduled\"}") >= 1 &&
               Sample(text, "ckron_trigger_lag_seconds_count") >= 1 &&
               Sample(text, "ckron_executions_total{result=\"success\"}") >= 1;
      },
      30s))
      << text;
  EXPECT_GE(Sample(text, "dkron_job_executions_succeeded_total{job_name=\"tick\"}"), 1) << text;
  EXPECT_EQ(Sample(text, "ckron_raft_leader"), 1) << text;
  ASSERT_EQ(Http(addr(), "DELETE", "/v1/jobs/tick").status, 200);
}

// After AFiredJobCounts...: "tick" holds the only per-job series
// (--metrics-job-series-limit 1), so this job's runs count under "_other".
TEST_F(MetricsTest, SkipsCommitLatencyLeaderTimingsAndTheJobSeriesLimit) {
  const std::string job = R"({"name":"slow","schedule":"@every 1s","concurrency":"forbid",)"
                          R"("executor":"shell","executor_config":{"command":"sleep 2.5"}})";
  ASSERT_EQ(Http(addr(), "POST", "/v1/jobs", job).status, 201);
  std::string text;
  EXPECT_TRUE(Eventually(
      [&] {
        text = Metrics();
        return Sample(text, "ckron_fires_skipped_total{reason=\"forbid\"}") >= 1 &&
               Sample(text, "ckron_job_executions_succeeded_total{job_name=\"_other\"}") >= 1;
      },
      30s))
      << text;
  ASSERT_EQ(Http(addr(), "DELETE", "/v1/jobs/slow").status, 200);
  EXPECT_EQ(text.find("job_name=\"slow\""), std::string::npos) << text;
  EXPECT_GE(Sample(text, "dkron_job_executions_succeeded_total{job_name=\"_other\"}"), 1);
  for (const char* reason : {"paused", "disabled", "misfire", "no_targets"}) {
    EXPECT_GE(Sample(text, "ckron_fires_skipped_total{reason=\"" + std::string(reason) + "\"}"), 0)
        << reason << " missing:\n"
        << text;
  }
  // Every write above was committed on this (the leader) server.
  EXPECT_GE(Sample(text, "ckron_raft_commit_seconds_count"), 3) << text;
  // It won one election: barrier, then the scheduler started.
  EXPECT_EQ(Sample(text, "ckron_leader_establish_seconds_count"), 1) << text;
  EXPECT_EQ(Sample(text, "ckron_leader_seconds_count{phase=\"barrier\"}"), 1) << text;
  EXPECT_EQ(Sample(text, "dkron_dkron_leader_seconds_count{phase=\"establish_leadership\"}"), 1)
      << text;
}

}  // namespace
}  // namespace ckron::testing
