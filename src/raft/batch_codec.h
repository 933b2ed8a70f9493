// Framing of a group-committed log entry: several proposed commands in one
// libraft RAFT_COMMAND entry. Pure functions; no libraft types.
//
// Entry payload, format 1 (all integers unsigned LEB128 varints):
//   u8      format  = 1
//   varint  term      the proposing leader's term (== the entry's Raft term)
//   varint  count     number of commands, >= 1
//   count x { varint length; length bytes }
//   0-7 zero bytes, so that the entry's length is a multiple of 8
// libraft 0.15's segment loader requires entry lengths to be multiples of 8:
// the writer pads each entry, the reader does not (uv_segment.c
// uvLoadEntriesBatch), so an unpadded entry makes the log unreadable at the
// next start. Upstream later made it a hard check (cd3bd28). Nothing but the
// padding may follow the last command. The format byte is checked on decode,
// so a future format 2 fails loudly on an old binary instead of being
// misread (style.md §18: the leader must only propose formats every voter
// reads).
//
// Thread safety: BatchEncoder is not thread-safe (one owner); the free
// functions are pure.
#ifndef CKRON_RAFT_BATCH_CODEC_H_
#define CKRON_RAFT_BATCH_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/ids.h"
#include "common/status.h"

namespace ckron::raft::internal {

inline constexpr std::uint8_t kBatchFormat = 1;

// Bytes of the LEB128 encoding of v (1-10).
std::size_t VarintSize(std::uint64_t v);
// Writes v at out, returns the byte after it.
std::uint8_t* PutVarint(std::uint8_t* out, std::uint64_t v);
// Reads a varint from data[*pos...]; advances *pos. False if truncated or
// longer than 10 bytes.
bool GetVarint(std::string_view data, std::size_t* pos, std::uint64_t* v);

// Collects commands (by view: they must outlive Encode) and writes the entry.
class BatchEncoder {
 public:
  void Add(std::string_view command);
  std::size_t count() const { return commands_.size(); }
  // Sum of command sizes (excluding framing).
  std::size_t payload_bytes() const { return payload_; }
  // Exact size of the encoded entry for `term`: a multiple of 8.
  std::size_t EncodedSize(Term term) const;
  // Writes exactly EncodedSize(term) bytes at out. REQUIRES: count() >= 1.
  void Encode(Term term, std::uint8_t* out) const;
  void Clear();

 private:
  std::vector<std::string_view> commands_;
  std::size_t payload_ = 0;
  std::size_t framing_ = 0;  // sum of VarintSize(length)
};

struct DecodedBatch {
  Term term;
  std::vector<std::string_view> commands;  // views into the decoded data
};

// Parses and validates a whole entry before anything is applied.
// kInternal (corruption) on any framing error or unknown format.
Status DecodeBatch(std::string_view data, DecodedBatch* out);

}  // namespace ckron::raft::internal

#endif  // CKRON_RAFT_BATCH_CODEC_H_
