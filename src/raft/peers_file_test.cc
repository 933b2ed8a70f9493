#include "raft/peers_file.h"

#include <gtest/gtest.h>

#include "raft/options.h"

namespace ckron::raft {
namespace {

TEST(PeersJson, ParsesDkronFormatWithNamesAndNumericIds) {
  auto servers = ParsePeersJson(R"([
    {"id": "node-a", "address": "10.0.0.1:8190", "non_voter": false},
    {"id": 77, "address": "10.0.0.2"},
    {"id": "node-c", "address": "10.0.0.3:9000", "non_voter": true}
  ])");
  ASSERT_TRUE(servers.ok()) << servers.status().ToString();
  ASSERT_EQ(servers->size(), 3u);
  EXPECT_EQ((*servers)[0].id, IdFromNodeName("node-a"));
  EXPECT_EQ((*servers)[0].role, Role::kVoter);
  EXPECT_EQ((*servers)[1].id, RaftId(77));
  EXPECT_EQ((*servers)[1].address, "10.0.0.2:8190");
  EXPECT_EQ((*servers)[2].role, Role::kStandby);
}

TEST(PeersJson, RejectsMalformedInput) {
  EXPECT_FALSE(ParsePeersJson("not json").ok());
  EXPECT_FALSE(ParsePeersJson("{}").ok());
  EXPECT_FALSE(ParsePeersJson("[]").ok());
  EXPECT_FALSE(ParsePeersJson(R"([{"address": "10.0.0.1"}])").ok());
  EXPECT_FALSE(ParsePeersJson(R"([{"id": "a"}])").ok());
  EXPECT_FALSE(ParsePeersJson(R"([{"id": "a", "address": "host.example:1"}])").ok());
  EXPECT_FALSE(ParsePeersJson(R"([{"id": "a", "address": "10.0.0.1", "non_voter": true}])").ok())
      << "no voter";
  EXPECT_FALSE(
      ParsePeersJson(R"([{"id": "a", "address": "10.0.0.1"}, {"id": "a", "address": "10.0.0.2"}])")
          .ok())
      << "duplicate id";
  EXPECT_FALSE(
      ParsePeersJson(R"([{"id": "a", "address": "10.0.0.1"}, {"id": "b", "address": "10.0.0.1"}])")
          .ok())
      << "duplicate address";
}

}  // namespace
}  // namespace ckron::raft
