#include "node/addresses.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ckron::node {
namespace {

using ::testing::HasSubstr;

std::vector<config::InterfaceAddress> Host() {
  return {
      {.interface = "lo", .ip = "127.0.0.1", .prefix_length = 8, .up = true, .loopback = true},
      {.interface = "eth0",
       .ip = "10.0.0.7",
       .prefix_length = 24,
       .up = true,
       .default_route = true},
  };
}

TEST(ResolveAddresses, DkronDefaults) {
  config::AgentConfig c;
  auto r = ResolveAddresses(c, Host());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->bind(), "10.0.0.7:8946");
  EXPECT_EQ(r->advertise(), "10.0.0.7:8946");
  EXPECT_EQ(r->rpc_listen, "10.0.0.7:6868");
  EXPECT_EQ(r->rpc_advertise, "10.0.0.7:6868");
  EXPECT_EQ(r->raft_listen, "10.0.0.7:8190");
  EXPECT_EQ(r->http_listen, "0.0.0.0:8080");
  EXPECT_FALSE(r->advertise_is_loopback);
}

TEST(ResolveAddresses, LoopbackBindIsAdvertisedAndFlagged) {
  config::AgentConfig c;
  c.bind_addr = "127.0.0.1:9000";
  c.rpc_port = 9001;
  c.advertise_rpc_port = 9100;
  auto r = ResolveAddresses(c, Host());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->advertise(), "127.0.0.1:9000");
  EXPECT_EQ(r->rpc_listen, "127.0.0.1:9001");
  EXPECT_EQ(r->rpc_advertise, "127.0.0.1:9100");
  EXPECT_TRUE(r->advertise_is_loopback);
}

TEST(ResolveAddresses, AllInterfacesAdvertisesThePrivateIp) {
  config::AgentConfig c;
  c.bind_addr = ":7946";
  auto r = ResolveAddresses(c, Host());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bind(), "0.0.0.0:7946");
  EXPECT_EQ(r->advertise(), "10.0.0.7:7946");
}

TEST(ResolveAddresses, AdvertiseAddrPortDefaultsToBindPort) {
  config::AgentConfig c;
  c.bind_addr = "0.0.0.0:7000";
  c.advertise_addr = "{{ GetInterfaceIP \"eth0\" }}";
  auto r = ResolveAddresses(c, Host());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->advertise(), "10.0.0.7:7000");
}

TEST(ResolveAddresses, HostNamesResolve) {
  config::AgentConfig c;
  c.bind_addr = "localhost:7000";
  auto r = ResolveAddresses(c, Host());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(config::IsLoopbackIp(r->bind_ip)) << r->bind_ip;
}

TEST(ResolveAddresses, NothingFoundNamesTheKey) {
  config::AgentConfig c;
  auto r = ResolveAddresses(c, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(),
              HasSubstr("bind-addr \"{{ GetPrivateIP }}:8946\": go-sockaddr template"));
  c.bind_addr = "0.0.0.0:1";
  r = ResolveAddresses(c, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("set advertise-addr"));
  c.bind_addr = "no-such-host.invalid:1";
  r = ResolveAddresses(c, Host());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("cannot resolve host"));
}

}  // namespace
}  // namespace ckron::node
