#include "raft/options.h"

#include <gtest/gtest.h>

#include <set>

namespace ckron::raft {
namespace {

Options Valid() {
  Options o;
  o.node_name = "n1";
  o.address = "127.0.0.1";
  o.data_dir = "/tmp/x";
  return o;
}

TEST(Options, DefaultsAreValidAndUseDkronsPort) {
  EXPECT_TRUE(Validate(Valid()).ok());
  EXPECT_EQ(WithDefaultPort("10.0.0.1"), "10.0.0.1:8190");
  EXPECT_EQ(WithDefaultPort("10.0.0.1:9000"), "10.0.0.1:9000");
}

TEST(Options, TimeoutsScaleWithMultiplier) {
  EXPECT_EQ(TimeoutsFor(1).election.count(), 300);
  EXPECT_EQ(TimeoutsFor(1).heartbeat.count(), 50);
  EXPECT_EQ(TimeoutsFor(10).election.count(), 3000);
  EXPECT_EQ(TimeoutsFor(10).heartbeat.count(), 500);
}

TEST(Options, ServersSnapshotAtDifferentIndexes) {
  Options o = Valid();
  std::set<std::uint32_t> seen;
  for (const char* name : {"server-1", "server-2", "server-3"}) {
    o.id = IdFromNodeName(name);
    const std::uint32_t t = SnapshotThresholdFor(o);
    EXPECT_GE(t, 8192u);
    EXPECT_LE(t, 8192u + 4096u);
    EXPECT_EQ(t, SnapshotThresholdFor(o));  // stable for a server
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 3u);
  o.snapshot_threshold = 1;
  EXPECT_EQ(SnapshotThresholdFor(o), 1u);
}

TEST(Options, RejectsBadFields) {
  Options o = Valid();
  o.multiplier = 0;
  EXPECT_EQ(Validate(o).code(), StatusCode::kInvalidArgument);
  o.multiplier = 11;
  EXPECT_EQ(Validate(o).code(), StatusCode::kInvalidArgument);
  o = Valid();
  o.address = "localhost:8190";
  EXPECT_EQ(Validate(o).code(), StatusCode::kInvalidArgument);
  o = Valid();
  o.bind_address = "0.0.0.0:9999";
  EXPECT_EQ(Validate(o).code(), StatusCode::kInvalidArgument);  // port differs
  o.bind_address = "0.0.0.0:8190";
  EXPECT_TRUE(Validate(o).ok());
  o = Valid();
  o.data_dir.clear();
  EXPECT_FALSE(Validate(o).ok());
  o = Valid();
  o.segment_size = std::size_t{4} << 20;  // below libraft's default
  EXPECT_EQ(Validate(o).code(), StatusCode::kInvalidArgument);
  o.segment_size = (std::size_t{64} << 20) + 1;  // not whole blocks
  EXPECT_EQ(Validate(o).code(), StatusCode::kInvalidArgument);
  o.segment_size = std::size_t{8} << 20;
  EXPECT_TRUE(Validate(o).ok());
}

TEST(Options, AddressValidation) {
  EXPECT_TRUE(ValidateAddress("127.0.0.1:1").ok());
  EXPECT_FALSE(ValidateAddress("127.0.0.1:0").ok());
  EXPECT_FALSE(ValidateAddress("127.0.0.1:65536").ok());
  EXPECT_FALSE(ValidateAddress("127.0.0.1").ok());
  EXPECT_FALSE(ValidateAddress("::1:80").ok());
}

TEST(IdFromNodeName, IsStableNonZeroAnd63Bit) {
  const RaftId a = IdFromNodeName("node-a");
  EXPECT_EQ(a, IdFromNodeName("node-a"));
  EXPECT_NE(a, IdFromNodeName("node-b"));
  EXPECT_NE(a.value(), 0u);
  EXPECT_EQ(a.value() >> 63, 0u);
  // Pinned: the id must never change across releases (it is on disk and in
  // every peer's configuration).
  EXPECT_EQ(IdFromNodeName("node-a").value(), 5468543792761543701ULL);
}

}  // namespace
}  // namespace ckron::raft
