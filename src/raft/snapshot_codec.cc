#include "raft/snapshot_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "common/check.h"

namespace ckron::raft::internal {
namespace {

constexpr char kMagic[8] = {'C', 'K', 'R', 'N', 'S', 'N', 'A', 'P'};
constexpr std::size_t kTrailerBytes = 8 + 8 + 4;

std::uint32_t Crc(std::uint32_t crc, const void* data, std::size_t len) {
  return static_cast<std::uint32_t>(
      crc32_z(crc, static_cast<const Bytef*>(data), static_cast<z_size_t>(len)));
}

std::uint32_t LoadU32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

std::uint64_t LoadU64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

}  // namespace

SnapshotEncoder::SnapshotEncoder(std::size_t buffer_bytes, LogIndex last_index, Term last_term,
                                 AllocFn alloc, FreeFn free)
    : buffer_bytes_(buffer_bytes), alloc_(alloc), free_(free) {
  CKRON_CHECK(buffer_bytes_ >= kSnapshotHeaderBytes);
  sticky_ = Append(kMagic, sizeof kMagic);
  if (sticky_.ok()) sticky_ = AppendU32(kSnapshotFormat);
  if (sticky_.ok()) sticky_ = AppendU32(0);
  if (sticky_.ok()) sticky_ = AppendU64(last_index.value());
  if (sticky_.ok()) sticky_ = AppendU64(last_term.value());
}

SnapshotEncoder::~SnapshotEncoder() {
  for (const SnapshotBuffer& b : buffers_) free_(b.base);
}

Status SnapshotEncoder::Append(const void* data, std::size_t len) {
  const auto* src = static_cast<const char*>(data);
  while (len > 0) {
    if (buffers_.empty() || buffers_.back().len == buffer_bytes_) {
      void* base = alloc_(buffer_bytes_);
      if (base == nullptr) return Status::ResourceExhausted("out of memory for a snapshot buffer");
      buffers_.push_back({base, 0});
    }
    SnapshotBuffer& b = buffers_.back();
    const std::size_t n = std::min(len, buffer_bytes_ - b.len);
    std::memcpy(static_cast<char*>(b.base) + b.len, src, n);
    b.len += n;
    src += n;
    len -= n;
  }
  return OkStatus();
}

Status SnapshotEncoder::AppendU32(std::uint32_t v) {
  char b[4];
  for (char& c : b) {
    c = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return Append(b, sizeof b);
}

Status SnapshotEncoder::AppendU64(std::uint64_t v) {
  char b[8];
  for (char& c : b) {
    c = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return Append(b, sizeof b);
}

Status SnapshotEncoder::Write(std::string_view chunk) {
  if (finished_) return Status::FailedPrecondition("snapshot already finished");
  if (!sticky_.ok()) return sticky_;
  if (chunk.empty() || chunk.size() >= std::numeric_limits<std::uint32_t>::max()) {
    return Status::InvalidArgument("snapshot chunk must be 1 byte to 4 GiB");
  }
  sticky_ = AppendU32(static_cast<std::uint32_t>(chunk.size()));
  if (sticky_.ok()) sticky_ = Append(chunk.data(), chunk.size());
  if (!sticky_.ok()) return sticky_;
  ++chunks_;
  payload_bytes_ += chunk.size();
  crc_ = Crc(crc_, chunk.data(), chunk.size());
  return OkStatus();
}

Status SnapshotEncoder::Finish() {
  if (finished_) return Status::FailedPrecondition("snapshot already finished");
  finished_ = true;
  if (sticky_.ok()) sticky_ = AppendU32(0);
  if (sticky_.ok()) sticky_ = AppendU64(chunks_);
  if (sticky_.ok()) sticky_ = AppendU64(payload_bytes_);
  if (sticky_.ok()) sticky_ = AppendU32(crc_);
  return sticky_;
}

std::vector<SnapshotBuffer> SnapshotEncoder::Release() {
  CKRON_CHECK(finished_ && sticky_.ok());
  return std::move(buffers_);
}

Result<SnapshotDecoder> SnapshotDecoder::Open(std::string_view data) {
  if (data.size() < kSnapshotHeaderBytes + 4 + kTrailerBytes ||
      std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    return Status::Internal("not a ckron snapshot (bad magic or too short)");
  }
  const std::uint32_t format = LoadU32(data.data() + 8);
  if (format != kSnapshotFormat) {
    return Status::Internal("unsupported snapshot format " + std::to_string(format));
  }
  SnapshotDecoder d;
  d.data_ = data;
  d.last_index_ = LogIndex(LoadU64(data.data() + 16));
  d.last_term_ = Term(LoadU64(data.data() + 24));
  d.pos_ = kSnapshotHeaderBytes;

  // Walk the framing once, checking it all before Restore sees a byte.
  std::size_t pos = kSnapshotHeaderBytes;
  std::uint64_t count = 0;
  std::uint64_t bytes = 0;
  std::uint32_t crc = 0;
  for (;;) {
    if (data.size() - pos < 4) return Status::Internal("snapshot truncated in chunk framing");
    const std::uint32_t len = LoadU32(data.data() + pos);
    pos += 4;
    if (len == 0) break;
    if (data.size() - pos < len) return Status::Internal("snapshot truncated in a chunk");
    crc = Crc(crc, data.data() + pos, len);
    pos += len;
    ++count;
    bytes += len;
  }
  if (data.size() - pos != kTrailerBytes) {
    return Status::Internal("snapshot trailer missing or followed by garbage");
  }
  if (LoadU64(data.data() + pos) != count || LoadU64(data.data() + pos + 8) != bytes ||
      LoadU32(data.data() + pos + 16) != crc) {
    return Status::Internal("snapshot trailer does not match its chunks (corrupt)");
  }
  d.chunk_count_ = count;
  return d;
}

bool SnapshotDecoder::Next(std::string_view* chunk) {
  const std::uint32_t len = LoadU32(data_.data() + pos_);
  if (len == 0) return false;
  *chunk = data_.substr(pos_ + 4, len);
  pos_ += 4 + len;
  return true;
}

}  // namespace ckron::raft::internal
