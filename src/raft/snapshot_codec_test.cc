#include "raft/snapshot_codec.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace ckron::raft::internal {
namespace {

std::string Concat(const std::vector<SnapshotBuffer>& bufs) {
  std::string out;
  for (const auto& b : bufs) out.append(static_cast<const char*>(b.base), b.len);
  return out;
}

void FreeAll(const std::vector<SnapshotBuffer>& bufs) {
  for (const auto& b : bufs) std::free(b.base);
}

TEST(SnapshotCodec, ChunksSurviveWithTheirBoundaries) {
  SnapshotEncoder enc(64, LogIndex(99), Term(3), &std::malloc, &std::free);
  const std::vector<std::string> chunks = {"a", std::string(150, 'b'), "cc", std::string(64, 'd')};
  for (const auto& c : chunks) ASSERT_TRUE(enc.Write(c).ok());
  ASSERT_TRUE(enc.Finish().ok());
  const auto bufs = enc.Release();
  const std::string bytes = Concat(bufs);
  FreeAll(bufs);

  auto dec = SnapshotDecoder::Open(bytes);
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  EXPECT_EQ(dec->last_index(), LogIndex(99));
  EXPECT_EQ(dec->last_term(), Term(3));
  EXPECT_EQ(dec->chunk_count(), chunks.size());
  std::string_view chunk;
  for (const auto& c : chunks) {
    ASSERT_TRUE(dec->Next(&chunk));
    EXPECT_EQ(chunk, c);
  }
  EXPECT_FALSE(dec->Next(&chunk));
}

TEST(SnapshotCodec, NeverBuildsOneBufferForTheWholeSnapshot) {
  SnapshotEncoder enc(4096, LogIndex(1), Term(1), &std::malloc, &std::free);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(enc.Write(std::string(100, 'k')).ok());
  ASSERT_TRUE(enc.Finish().ok());
  const auto bufs = enc.Release();
  EXPECT_GT(bufs.size(), 20u);
  for (std::size_t i = 0; i + 1 < bufs.size(); ++i) EXPECT_EQ(bufs[i].len, 4096u);
  FreeAll(bufs);
}

TEST(SnapshotCodec, EmptySnapshotIsValid) {
  SnapshotEncoder enc(4096, LogIndex(5), Term(2), &std::malloc, &std::free);
  ASSERT_TRUE(enc.Finish().ok());
  const auto bufs = enc.Release();
  const std::string bytes = Concat(bufs);
  FreeAll(bufs);
  auto dec = SnapshotDecoder::Open(bytes);
  ASSERT_TRUE(dec.ok());
  std::string_view chunk;
  EXPECT_FALSE(dec->Next(&chunk));
}

TEST(SnapshotCodec, DetectsCorruptionTruncationAndGarbage) {
  SnapshotEncoder enc(128, LogIndex(7), Term(1), &std::malloc, &std::free);
  ASSERT_TRUE(enc.Write("hello").ok());
  ASSERT_TRUE(enc.Write("world").ok());
  ASSERT_TRUE(enc.Finish().ok());
  const auto bufs = enc.Release();
  const std::string good = Concat(bufs);
  FreeAll(bufs);

  std::string flipped = good;
  flipped[kSnapshotHeaderBytes + 5] ^= 1;  // inside "hello"
  EXPECT_EQ(SnapshotDecoder::Open(flipped).status().code(), StatusCode::kInternal);
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(SnapshotDecoder::Open(good.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(SnapshotDecoder::Open(good + "x").ok());
  std::string wrong_format = good;
  wrong_format[8] = 2;
  EXPECT_FALSE(SnapshotDecoder::Open(wrong_format).ok());
}

TEST(SnapshotCodec, RejectsEmptyChunkAndWriteAfterFinish) {
  SnapshotEncoder enc(4096, LogIndex(1), Term(1), &std::malloc, &std::free);
  EXPECT_EQ(enc.Write("").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(enc.Finish().ok());
  EXPECT_EQ(enc.Write("x").code(), StatusCode::kFailedPrecondition);
}

void* FailingAlloc(std::size_t) {
  return nullptr;
}

TEST(SnapshotCodec, AllocationFailureIsSticky) {
  SnapshotEncoder enc(4096, LogIndex(1), Term(1), &FailingAlloc, &std::free);
  EXPECT_EQ(enc.Write("x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(enc.Finish().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace ckron::raft::internal
