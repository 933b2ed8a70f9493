#include "raft/batch_codec.h"

#include <cstring>
#include <string>

#include "common/check.h"

namespace ckron::raft::internal {

std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::uint8_t* PutVarint(std::uint8_t* out, std::uint64_t v) {
  while (v >= 0x80) {
    *out++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<std::uint8_t>(v);
  return out;
}

bool GetVarint(std::string_view data, std::size_t* pos, std::uint64_t* v) {
  std::uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (*pos >= data.size()) return false;
    const auto byte = static_cast<std::uint8_t>(data[(*pos)++]);
    // The 10th byte may only contribute the top bit.
    if (shift == 63 && byte > 1) return false;
    result |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void BatchEncoder::Add(std::string_view command) {
  commands_.push_back(command);
  payload_ += command.size();
  framing_ += VarintSize(command.size());
}

std::size_t BatchEncoder::EncodedSize(Term term) const {
  const std::size_t n =
      1 + VarintSize(term.value()) + VarintSize(commands_.size()) + framing_ + payload_;
  return (n + 7) & ~std::size_t{7};
}

void BatchEncoder::Encode(Term term, std::uint8_t* out) const {
  CKRON_CHECK(!commands_.empty());
  std::uint8_t* const end = out + EncodedSize(term);
  *out++ = kBatchFormat;
  out = PutVarint(out, term.value());
  out = PutVarint(out, commands_.size());
  for (std::string_view c : commands_) {
    out = PutVarint(out, c.size());
    if (!c.empty()) std::memcpy(out, c.data(), c.size());
    out += c.size();
  }
  std::memset(out, 0, static_cast<std::size_t>(end - out));  // padding
}

void BatchEncoder::Clear() {
  commands_.clear();
  payload_ = 0;
  framing_ = 0;
}

Status DecodeBatch(std::string_view data, DecodedBatch* out) {
  out->commands.clear();
  if (data.empty()) return Status::Internal("empty raft entry");
  if (static_cast<std::uint8_t>(data[0]) != kBatchFormat) {
    return Status::Internal("raft entry has unknown format " +
                            std::to_string(static_cast<std::uint8_t>(data[0])));
  }
  std::size_t pos = 1;
  std::uint64_t term = 0;
  std::uint64_t count = 0;
  if (!GetVarint(data, &pos, &term) || !GetVarint(data, &pos, &count)) {
    return Status::Internal("truncated raft entry header");
  }
  // Every command needs at least one length byte.
  if (count == 0 || count > data.size() - pos) {
    return Status::Internal("raft entry has bad command count " + std::to_string(count));
  }
  out->term = Term(term);
  out->commands.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t len = 0;
    if (!GetVarint(data, &pos, &len) || len > data.size() - pos) {
      out->commands.clear();
      return Status::Internal("truncated command in raft entry");
    }
    out->commands.push_back(data.substr(pos, static_cast<std::size_t>(len)));
    pos += static_cast<std::size_t>(len);
  }
  // Only zero padding to the next multiple of 8 may follow.
  const std::size_t rest = data.size() - pos;
  bool zero = rest < 8;
  for (std::size_t i = pos; zero && i < data.size(); ++i) zero = data[i] == '\0';
  if (!zero || data.size() % 8 != 0) {
    out->commands.clear();
    return Status::Internal("bad padding after the last command in raft entry");
  }
  return OkStatus();
}

}  // namespace ckron::raft::internal
