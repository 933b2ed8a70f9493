#include "config/sockaddr_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ckron::config {
namespace {

using ::testing::HasSubstr;

// Like this test machine: loopback, eth0 (default route) with a TEST-NET
// address (not forwardable), a ULA and a link-local address, and a second
// interface with RFC 1918 and public addresses.
std::vector<InterfaceAddress> Host() {
  return {
      {.interface = "lo", .ip = "127.0.0.1", .prefix_length = 8, .up = true, .loopback = true},
      {.interface = "lo",
       .ip = "::1",
       .ipv6 = true,
       .prefix_length = 128,
       .up = true,
       .loopback = true},
      {.interface = "eth0",
       .ip = "192.0.2.2",
       .prefix_length = 24,
       .up = true,
       .default_route = true},
      {.interface = "eth0",
       .ip = "fd00::2",
       .ipv6 = true,
       .prefix_length = 64,
       .up = true,
       .default_route = true},
      {.interface = "eth0",
       .ip = "fe80::1",
       .ipv6 = true,
       .prefix_length = 64,
       .up = true,
       .default_route = true},
      {.interface = "eth1", .ip = "10.1.2.3", .prefix_length = 16, .up = true},
      {.interface = "eth1", .ip = "8.8.4.4", .prefix_length = 24, .up = true},
      {.interface = "eth2", .ip = "10.9.9.9", .prefix_length = 8, .up = false},
  };
}

std::string Expand(std::string_view text) {
  auto r = ExpandTemplates(text, Host());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : "";
}

TEST(Templates, GetPrivateIP_PrefersDefaultRouteInterfaceAndSkipsNonForwardable) {
  // 192.0.2.2 is TEST-NET (not forwardable); the default interface's ULA wins
  // over eth1's RFC 1918 address, as in go-sockaddr.
  EXPECT_EQ(Expand("{{ GetPrivateIP }}"), "fd00::2");
  EXPECT_EQ(Expand("{{ GetPrivateIP }}:8946"), "[fd00::2]:8946");
  EXPECT_EQ(Expand("{{GetPrivateIPs}}"), "fd00::2 10.1.2.3");
}

TEST(Templates, GetPrivateIP_Ipv4FirstThenSmallerNetwork) {
  std::vector<InterfaceAddress> h = {
      {.interface = "e", .ip = "fd00::5", .ipv6 = true, .prefix_length = 64, .up = true},
      {.interface = "e", .ip = "10.0.0.5", .prefix_length = 8, .up = true},
      {.interface = "e", .ip = "192.168.1.5", .prefix_length = 24, .up = true},
  };
  EXPECT_EQ(*ExpandTemplates("{{ GetPrivateIP }}", h), "192.168.1.5");
}

TEST(Templates, GetPublicIP) {
  EXPECT_EQ(Expand("{{ GetPublicIP }}"), "8.8.4.4");
}

TEST(Templates, GetInterfaceIP_Ipv4First) {
  EXPECT_EQ(Expand("{{ GetInterfaceIP \"eth0\" }}:1"), "192.0.2.2:1");
  EXPECT_EQ(Expand("{{ GetInterfaceIP `lo` }}"), "127.0.0.1");
}

TEST(Templates, Pipelines) {
  EXPECT_EQ(Expand(R"({{ GetAllInterfaces | include "name" "eth1" | attr "address" }})"),
            "10.1.2.3");
  EXPECT_EQ(Expand(R"({{ GetAllInterfaces | include "name" "^eth" | include "type" "ipv4" | )"
                   R"(exclude "flags" "down" | join "address" "," }})"),
            "192.0.2.2,10.1.2.3,8.8.4.4");
  EXPECT_EQ(Expand(R"({{ GetAllInterfaces | include "network" "10.0.0.0/8" | offset 1 | )"
                   R"(limit 1 | attr "name" }})"),
            "eth2");
  EXPECT_EQ(Expand(R"({{ GetPrivateInterfaces | attr "address" }})"), "fd00::2");
  EXPECT_EQ(Expand(R"({{- GetDefaultInterfaces | include "type" "ipv4" | attr "address" -}})"),
            "192.0.2.2");
}

TEST(Templates, TextWithoutTemplatesIsUnchanged) {
  EXPECT_EQ(Expand("127.0.0.1:8946"), "127.0.0.1:8946");
  EXPECT_FALSE(IsTemplate(":8080"));
}

TEST(Templates, NoAddressIsNotFoundNamingTheTemplate) {
  auto r = ExpandTemplates("{{ GetInterfaceIP \"wlan9\" }}:1", Host());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("{{ GetInterfaceIP \"wlan9\" }}"));
  EXPECT_FALSE(ExpandTemplates("{{ GetPrivateIP }}", {}).ok());
}

TEST(Templates, UnsupportedIsInvalidArgumentNamingTheTemplate) {
  for (const char* bad :
       {"{{ GetPrivateIP | attr \"address\" }}", "{{ GetFoo }}", "{{ GetAllInterfaces }}",
        "{{ GetAllInterfaces | sort \"size\" | attr \"address\" }}", "{{ GetInterfaceIP }}",
        "{{ GetAllInterfaces | include \"bogus\" \"x\" | attr \"address\" }}",
        "{{ GetAllInterfaces | include \"network\" \"10.0.0.0/33\" | attr \"address\" }}",
        "{{ GetAllInterfaces | attr \"address\" | limit 1 }}",
        "{{ GetAllInterfaces | limit x | attr \"address\" }}", "{{ \"unterminated }}",
        "{{ GetPrivateIP", "{{ }}", "{{ GetPrivateIP ; }}"}) {
    Status s = CheckTemplates(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(ExpandTemplates(bad, Host()).ok()) << bad;
  }
  EXPECT_THAT(
      CheckTemplates("{{ GetFoo }}").message(),
      HasSubstr("unsupported go-sockaddr template \"{{ GetFoo }}\": unknown function GetFoo"));
}

TEST(SplitHostPort, Forms) {
  auto hp = SplitHostPort("127.0.0.1:80");
  EXPECT_EQ(hp->host, "127.0.0.1");
  EXPECT_EQ(hp->port, 80);
  hp = SplitHostPort(":8080");
  EXPECT_EQ(hp->host, "");
  EXPECT_EQ(hp->port, 8080);
  hp = SplitHostPort("example.com");
  EXPECT_EQ(hp->host, "example.com");
  EXPECT_FALSE(hp->port.has_value());
  hp = SplitHostPort("[fd00::2]:8946");
  EXPECT_EQ(hp->host, "fd00::2");
  EXPECT_EQ(hp->port, 8946);
  hp = SplitHostPort("fd00::2");
  EXPECT_EQ(hp->host, "fd00::2");
  EXPECT_FALSE(hp->port.has_value());
  EXPECT_FALSE(SplitHostPort("h:").ok());
  EXPECT_FALSE(SplitHostPort("h:-1").ok());
  EXPECT_FALSE(SplitHostPort("[::1]x").ok());
}

TEST(JoinHostPort, BracketsIpv6) {
  EXPECT_EQ(JoinHostPort("::1", 5), "[::1]:5");
  EXPECT_EQ(JoinHostPort("127.0.0.1", 5), "127.0.0.1:5");
}

TEST(CheckAddress, AcceptsTemplatesAndPlainForms) {
  for (const char* ok : {"", ":8080", "0.0.0.0:8946", "{{ GetPrivateIP }}:8946", "host",
                         "{{ GetInterfaceIP \"eth0\" }}", "[::]:1"}) {
    EXPECT_TRUE(CheckAddress(ok).ok()) << ok;
  }
  EXPECT_FALSE(CheckAddress("a b:1").ok());
}

TEST(IsLoopbackIp, Ranges) {
  EXPECT_TRUE(IsLoopbackIp("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackIp("127.9.9.9"));
  EXPECT_TRUE(IsLoopbackIp("::1"));
  EXPECT_FALSE(IsLoopbackIp("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackIp("localhost"));
}

TEST(ListInterfaceAddresses, FindsLoopback) {
  auto r = ListInterfaceAddresses();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  bool found = false;
  for (const auto& a : *r) found |= a.ip == "127.0.0.1" && a.loopback;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ckron::config
