#include "membership/lzw.h"

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ckron::membership::lzw {
namespace {

constexpr std::uint32_t kClear = 256;
constexpr std::uint32_t kEof = 257;
constexpr std::uint32_t kMaxCode = (1u << 12) - 1;
constexpr unsigned kMaxWidth = 12;

class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  void Write(std::uint32_t code, unsigned width) {
    bits_ |= static_cast<std::uint64_t>(code) << nbits_;
    nbits_ += width;
    while (nbits_ >= 8) {
      out_->push_back(static_cast<char>(bits_ & 0xff));
      bits_ >>= 8;
      nbits_ -= 8;
    }
  }
  void Flush() {
    if (nbits_ > 0) out_->push_back(static_cast<char>(bits_ & 0xff));
    bits_ = 0;
    nbits_ = 0;
  }

 private:
  std::string* out_;
  std::uint64_t bits_ = 0;
  unsigned nbits_ = 0;
};

}  // namespace

// Mirrors the code assignment of Go's lzw.Writer: after emitting a code the
// next free code `hi` is taken by (prefix, byte); when `hi` reaches the
// current width's overflow the width grows; at 4095 a clear code is sent and
// the table restarts.
std::string Compress(std::string_view in) {
  std::string out;
  BitWriter w(&out);
  unsigned width = 9;
  std::uint32_t hi = kEof;
  std::uint32_t overflow = 1u << 9;
  std::unordered_map<std::uint32_t, std::uint32_t> table;  // prefix<<8|byte -> code
  table.reserve(std::min<std::size_t>(4096, in.size()));
  w.Write(kClear, width);
  if (in.empty()) {
    w.Write(kEof, width);
    w.Flush();
    return out;
  }
  auto inc_hi = [&]() -> bool {  // returns false when the table was reset
    ++hi;
    if (hi == overflow) {
      ++width;
      overflow <<= 1;
    }
    if (hi == kMaxCode) {
      w.Write(kClear, width);
      width = 9;
      hi = kEof;
      overflow = 1u << 9;
      table.clear();
      return false;
    }
    return true;
  };
  std::uint32_t code = static_cast<std::uint8_t>(in[0]);
  for (std::size_t i = 1; i < in.size(); ++i) {
    const std::uint32_t lit = static_cast<std::uint8_t>(in[i]);
    const std::uint32_t key = code << 8 | lit;
    auto it = table.find(key);
    if (it != table.end()) {
      code = it->second;
      continue;
    }
    w.Write(code, width);
    code = lit;
    if (!inc_hi()) continue;
    table.emplace(key, hi);
  }
  w.Write(code, width);
  inc_hi();
  w.Write(kEof, width);
  w.Flush();
  return out;
}

Result<std::string> Decompress(std::string_view in, std::size_t max_out) {
  std::string out;
  std::array<std::uint16_t, 1u << kMaxWidth> prefix{};
  std::array<std::uint8_t, 1u << kMaxWidth> suffix{};
  std::vector<std::uint8_t> scratch(1u << kMaxWidth);
  unsigned width = 9;
  std::uint32_t hi = kEof;
  std::uint32_t overflow = 1u << width;
  std::uint32_t last = UINT32_MAX;  // "no previous code"
  std::uint64_t bits = 0;
  unsigned nbits = 0;
  std::size_t pos = 0;
  for (;;) {
    while (nbits < width) {
      if (pos >= in.size()) return Status::InvalidArgument("lzw: unexpected end of data");
      bits |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in[pos++])) << nbits;
      nbits += 8;
    }
    const auto code = static_cast<std::uint32_t>(bits & ((1u << width) - 1));
    bits >>= width;
    nbits -= width;
    if (code == kClear) {
      width = 9;
      hi = kEof;
      overflow = 1u << width;
      last = UINT32_MAX;
      continue;
    }
    if (code == kEof) return out;
    if (code > hi || (code == hi && last == UINT32_MAX)) {
      return Status::InvalidArgument("lzw: invalid code");
    }
    // Expand `code` (or, for the KwKwK case code == hi, last + first(last))
    // into scratch, back to front.
    std::size_t i = scratch.size();
    std::uint32_t c = code;
    std::uint8_t first = 0;
    if (code == hi) {
      std::uint32_t f = last;
      while (f >= kClear) f = prefix[f];
      scratch[--i] = static_cast<std::uint8_t>(f);
      c = last;
    }
    while (c >= kClear) {
      if (i == 0) return Status::InvalidArgument("lzw: code chain too long");
      scratch[--i] = suffix[c];
      c = prefix[c];
    }
    if (i == 0) return Status::InvalidArgument("lzw: code chain too long");
    scratch[--i] = static_cast<std::uint8_t>(c);
    first = static_cast<std::uint8_t>(c);
    const std::size_t n = scratch.size() - i;
    if (out.size() + n > max_out) {
      return Status::ResourceExhausted("lzw: output exceeds limit");
    }
    out.append(reinterpret_cast<const char*>(scratch.data() + i), n);
    if (last != UINT32_MAX) {
      suffix[hi] = first;
      prefix[hi] = static_cast<std::uint16_t>(last);
    }
    last = code;
    ++hi;
    if (hi >= overflow) {
      if (width == kMaxWidth) {
        last = UINT32_MAX;
        --hi;
      } else {
        ++width;
        overflow = 1u << width;
      }
    }
  }
}

}  // namespace ckron::membership::lzw
