// Framing of a snapshot: the chunks a StateMachine writes, with a header and a
// checksummed trailer, laid out over several fixed-size buffers (libraft
// writes them to the snapshot file one after the other; there is never one
// buffer holding the whole snapshot while it is built). Pure: allocation is
// injected, no libraft types.
//
// Byte layout, format 1 (integers little-endian):
//   header   "CKRNSNAP"  u32 format=1  u32 0  u64 last_index  u64 last_term
//   chunks   { u32 length (> 0); length bytes }*
//   end      u32 0
//   trailer  u64 chunk_count  u64 payload_bytes  u32 crc32(payload bytes)
// Chunks may straddle buffer boundaries; the reader sees the concatenation.
//
// Thread safety: not thread-safe; one owner each.
#ifndef CKRON_RAFT_SNAPSHOT_CODEC_H_
#define CKRON_RAFT_SNAPSHOT_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/status.h"
#include "raft/state_machine.h"

namespace ckron::raft::internal {

inline constexpr std::uint32_t kSnapshotFormat = 1;
inline constexpr std::size_t kSnapshotHeaderBytes = 32;

struct SnapshotBuffer {
  void* base;
  std::size_t len;
};

// Writes a snapshot into buffers of `buffer_bytes` each (the last one
// shorter). Buffers come from `alloc` and are released with `free` unless
// taken by Release().
class SnapshotEncoder final : public SnapshotSink {
 public:
  using AllocFn = void* (*)(std::size_t);
  using FreeFn = void (*)(void*);

  // REQUIRES: buffer_bytes >= kSnapshotHeaderBytes.
  SnapshotEncoder(std::size_t buffer_bytes, LogIndex last_index, Term last_term, AllocFn alloc,
                  FreeFn free);
  ~SnapshotEncoder() override;
  SnapshotEncoder(const SnapshotEncoder&) = delete;
  SnapshotEncoder& operator=(const SnapshotEncoder&) = delete;

  // kInvalidArgument for an empty or >= 4 GiB chunk, kResourceExhausted if
  // alloc failed, kFailedPrecondition after Finish.
  Status Write(std::string_view chunk) override;

  // Writes the end marker and trailer. No Write after it.
  Status Finish();

  // Hands over the buffers (ownership to the caller). REQUIRES: Finish() OK.
  std::vector<SnapshotBuffer> Release();

  std::uint64_t chunk_count() const { return chunks_; }

 private:
  Status Append(const void* data, std::size_t len);
  Status AppendU32(std::uint32_t v);
  Status AppendU64(std::uint64_t v);

  const std::size_t buffer_bytes_;
  const AllocFn alloc_;
  const FreeFn free_;
  std::vector<SnapshotBuffer> buffers_;  // Invariant: all but the last are full
  Status sticky_;                        // first failure; every later call returns it
  bool finished_ = false;
  std::uint64_t chunks_ = 0;
  std::uint64_t payload_bytes_ = 0;
  std::uint32_t crc_ = 0;
};

// Reads a snapshot from its concatenated bytes. Open validates everything
// (header, framing, counts, checksum) before any chunk is handed out.
class SnapshotDecoder final : public SnapshotReader {
 public:
  // kInternal if the bytes are not a valid format-1 snapshot.
  static Result<SnapshotDecoder> Open(std::string_view data);

  LogIndex last_index() const { return last_index_; }
  Term last_term() const { return last_term_; }
  std::uint64_t chunk_count() const { return chunk_count_; }

  bool Next(std::string_view* chunk) override;

 private:
  SnapshotDecoder() = default;
  std::string_view data_;
  std::size_t pos_ = 0;
  LogIndex last_index_;
  Term last_term_;
  std::uint64_t chunk_count_ = 0;
};

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_SNAPSHOT_CODEC_H_
