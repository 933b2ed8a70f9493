#include "cli/peer_table.h"

#include <gtest/gtest.h>

namespace ckron::cli {
namespace {

TEST(FormatPeerTable, AlignsColumnsLikeColumnize) {
  const std::string table = FormatPeerTable({
      {.id = "1", .node = "server-one", .address = "10.0.0.1:8190", .leader = true, .voter = true},
      {.id = "22", .node = "s2", .address = "10.0.0.2:8190", .leader = false, .voter = false},
  });
  EXPECT_EQ(table,
            "Node        ID  Address        State     Voter\n"
            "server-one  1   10.0.0.1:8190  leader    true\n"
            "s2          22  10.0.0.2:8190  follower  false\n");
}

TEST(FormatPeerTable, HeaderOnlyWhenEmpty) {
  EXPECT_EQ(FormatPeerTable({}), "Node  ID  Address  State  Voter\n");
}

}  // namespace
}  // namespace ckron::cli
