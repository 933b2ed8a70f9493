#include "membership/serf_wire.h"

#include <gtest/gtest.h>

namespace ckron::membership::serf_wire {
namespace {

TEST(SerfWire, TagsRoundTripWithMagicByte) {
  std::map<std::string, std::string> tags = {{"role", "dkron"}, {"rpc_addr", "10.0.0.1:6868"}};
  const std::string meta = EncodeTags(tags);
  EXPECT_EQ(static_cast<unsigned char>(meta[0]), 255);
  EXPECT_EQ(*DecodeTags(meta), tags);
  EXPECT_EQ(DecodeTags("web")->at("role"), "web");  // protocol < 3: bare role
}

TEST(SerfWire, PushPullWithNilEventSlotsDecodes) {
  PushPull pp;
  pp.ltime = 4;
  pp.status_ltimes = {{"a", 1}, {"b", 2}};
  pp.left_members = {"b"};
  pp.events.push_back({.ltime = 3, .events = {{"deploy", "v1"}}});
  std::string enc = Encode(pp);
  auto back = DecodeBody<PushPull>(std::string_view(enc).substr(1));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status_ltimes.at("b"), 2u);
  ASSERT_EQ(back->events.size(), 1u);
  EXPECT_EQ(back->events[0].events[0].name, "deploy");
}

TEST(SerfWire, QueryRoundTripAndFilters) {
  Query q{.ltime = 2,
          .id = 77,
          .addr = std::string("\x7f\0\0\x01", 4),
          .port = 7946,
          .source_node = "s",
          .flags = kQueryFlagAck,
          .timeout_ns = 5'000'000'000,
          .name = "ping"};
  std::string enc = Encode(q);
  auto back = DecodeBody<Query>(std::string_view(enc).substr(1));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, 77u);
  EXPECT_EQ(back->timeout_ns, 5'000'000'000);
  // filterNode ["n1"]
  std::string node_filter(1, '\0');
  msgpack::Writer w(&node_filter);
  w.ArrayHeader(1);
  w.Raw("n1");
  EXPECT_TRUE(QueryFiltersMatch({node_filter}, "n1", {}));
  EXPECT_FALSE(QueryFiltersMatch({node_filter}, "n2", {}));
  std::string tag_filter(1, '\x01');
  msgpack::Writer w2(&tag_filter);
  w2.MapHeader(2);
  w2.Raw("Tag");
  w2.Raw("role");
  w2.Raw("Expr");
  w2.Raw("^dk");
  EXPECT_TRUE(QueryFiltersMatch({tag_filter}, "x", {{"role", "dkron"}}));
  EXPECT_FALSE(QueryFiltersMatch({tag_filter}, "x", {{"role", "web"}}));
}

}  // namespace
}  // namespace ckron::membership::serf_wire
