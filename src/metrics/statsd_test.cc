// StatsdSink against a real UDP socket on 127.0.0.1.
#include "metrics/statsd.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <sstream>

namespace ckron::metrics {
namespace {

using ::testing::UnorderedElementsAre;

// A UDP socket on 127.0.0.1 with a free port.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Listener() { close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // The lines of the datagrams that arrive within `wait` after the first.
  std::vector<std::string> Lines(int datagrams) {
    std::vector<std::string> out;
    for (int n = 0; n < datagrams; ++n) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10'000) != 1) break;
      char buf[65536];
      const ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got <= 0) break;
      sizes.push_back(static_cast<std::size_t>(got));
      std::istringstream in(std::string(buf, static_cast<std::size_t>(got)));
      for (std::string line; std::getline(in, line);) out.push_back(line);
    }
    return out;
  }
  std::vector<std::size_t> sizes;

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(StatsdSink, SendsStatsdLinesWithLabelValuesInTheKey) {
  Listener l;
  auto sink = StatsdSink::Open({.address = l.address()});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  (*sink)->Record(SampleSink::Kind::kCounter, "ckron.fires", {{"kind", "scheduled"}}, 1);
  (*sink)->Record(SampleSink::Kind::kGauge, "ckron.gossip_members", {{"state", "alive"}}, 3);
  (*sink)->Record(SampleSink::Kind::kTiming, "ckron.raft_commit_seconds", {}, 0.0025);
  (*sink)->Flush();
  EXPECT_THAT(l.Lines(1),
              UnorderedElementsAre("ckron.fires.scheduled:1|c", "ckron.gossip_members.alive:3|g",
                                   "ckron.raft_commit_seconds:2.5|ms"));
}

TEST(StatsdSink, SendsDogStatsdTagsWithTheHostAndTheConfiguredTags) {
  Listener l;
  auto sink = StatsdSink::Open(
      {.address = l.address(), .dogstatsd = true, .hostname = "n1", .tags = {"env:prod", "team"}});
  ASSERT_TRUE(sink.ok());
  (*sink)->Record(SampleSink::Kind::kCounter, "ckron.job_executions_failed",
                  {{"job_name", "a|b:c"}}, 1);
  (*sink)->Flush();
  EXPECT_THAT(l.Lines(1),
              UnorderedElementsAre("ckron.job_executions_failed:1|c|#job_name:a_b_c,host:n1,"
                                   "env:prod,team"));
}

TEST(StatsdSink, PacksLinesIntoDatagramsUpToTheLimit) {
  Listener l;
  auto sink = StatsdSink::Open({.address = l.address(), .max_packet = 100});
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 30; ++i) {
    (*sink)->Record(SampleSink::Kind::kCounter, "ckron.fires", {{"kind", "k" + std::to_string(i)}},
                    1);
  }
  (*sink)->Flush();
  const std::uint64_t sent = (*sink)->datagrams();
  EXPECT_GT(sent, 1u);
  const auto lines = l.Lines(static_cast<int>(sent));
  EXPECT_EQ(lines.size(), 30u);
  for (std::size_t s : l.sizes) EXPECT_LE(s, 100u);
}

TEST(StatsdSink, DropsAndCountsSamplesBeyondTheQueueLimit) {
  Listener l;
  auto sink =
      StatsdSink::Open({.address = l.address(), .flush_interval = absl::Hours(1), .max_queued = 2});
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 5; ++i) (*sink)->Record(SampleSink::Kind::kCounter, "ckron.x", {}, 1);
  EXPECT_EQ((*sink)->dropped(), 3u);
  (*sink)->Flush();
  EXPECT_EQ(l.Lines(1).size(), 2u);
}

TEST(StatsdSink, RefusesAnAddressThatIsNotHostPort) {
  for (const char* bad : {"localhost", ":8125", "127.0.0.1:", ""}) {
    auto sink = StatsdSink::Open({.address = bad});
    EXPECT_EQ(sink.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(StatsdSink::Open({.address = "no-such-host.invalid:8125"}).status().code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ckron::metrics
