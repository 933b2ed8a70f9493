#include "membership/lzw.h"

#include <algorithm>
#include <array>
#include <cstdint>

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

// The compressor's dictionary, (prefix code, next byte) -> code: a flat
// open-addressing table reused across calls on one thread. Entries carry the
// generation of the dictionary they belong to, so starting over (a new call,
// or a clear code every 3839 codes) costs one increment instead of a wipe.
// Every packet memberlist sends is trial-compressed, so this is hot.
class Dictionary {
 public:
  void Reset() {
    if (++gen_ == 0) {  // wrapped: stale entries could look current again
      slots_.fill(0);
      gen_ = 1;
    }
  }
  // The code for `key`, or kNone.
  std::uint32_t Find(std::uint32_t key) const {
    for (std::uint32_t i = Hash(key);; i = (i + 1) & kMask) {
      const std::uint64_t s = slots_[i];
      if (Gen(s) != gen_) return kNone;
      if (Key(s) == key) return Value(s);
    }
  }
  // REQUIRES: `key` is absent; at most kMaxCode entries per generation.
  void Insert(std::uint32_t key, std::uint32_t code) {
    std::uint32_t i = Hash(key);
    while (Gen(slots_[i]) == gen_) i = (i + 1) & kMask;
    slots_[i] =
        static_cast<std::uint64_t>(gen_) << 32 | static_cast<std::uint64_t>(key) << 12 | code;
  }
  static constexpr std::uint32_t kNone = UINT32_MAX;

 private:
  // 8192 slots for at most 4096 codes: probe chains stay short.
  static constexpr std::uint32_t kBits = 13;
  static constexpr std::uint32_t kMask = (1u << kBits) - 1;
  static std::uint32_t Hash(std::uint32_t key) { return (key * 2654435761u) >> (32 - kBits); }
  static std::uint32_t Gen(std::uint64_t s) { return static_cast<std::uint32_t>(s >> 32); }
  static std::uint32_t Key(std::uint64_t s) {
    return static_cast<std::uint32_t>(s >> 12) & 0xfffff;
  }
  static std::uint32_t Value(std::uint64_t s) { return static_cast<std::uint32_t>(s) & 0xfff; }

  std::array<std::uint64_t, 1u << kBits> slots_{};  // gen:32 | key:20 | code:12; gen 0 = empty
  std::uint32_t gen_ = 0;
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
  thread_local Dictionary table;  // prefix<<8|byte -> code
  table.Reset();
  out.reserve(in.size() / 2 + 16);
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
      table.Reset();
      return false;
    }
    return true;
  };
  std::uint32_t code = static_cast<std::uint8_t>(in[0]);
  for (std::size_t i = 1; i < in.size(); ++i) {
    const std::uint32_t lit = static_cast<std::uint8_t>(in[i]);
    const std::uint32_t key = code << 8 | lit;
    if (const std::uint32_t known = table.Find(key); known != Dictionary::kNone) {
      code = known;
      continue;
    }
    w.Write(code, width);
    code = lit;
    if (!inc_hi()) continue;
    table.Insert(key, hi);
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
  std::array<std::uint8_t, 1u << kMaxWidth> scratch;  // written back to front before it is read
  out.reserve(std::min(max_out, in.size() * 3));
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
