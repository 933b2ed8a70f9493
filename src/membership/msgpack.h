// A bounded MessagePack reader and writer for the subset that HashiCorp's
// go-msgpack (the codec memberlist and Serf use) reads and writes.
//
// Why not a general library: go-msgpack with its default handle writes the
// *old* spec (strings and byte slices both as "raw": fixstr/str16/str32, never
// str8 or bin), and memberlist streams carry several back-to-back objects
// with no outer length, so the reader must tell "truncated, read more" from
// "malformed" without allocating. Every length is checked against the bytes
// actually present before anything is copied; nesting depth is capped.
//
// Thread safety: values; a Reader or Writer is used by one thread at a time.
#ifndef CKRON_MEMBERSHIP_MSGPACK_H_
#define CKRON_MEMBERSHIP_MSGPACK_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ckron::membership::msgpack {

// Appends encoded values to a byte string, in go-msgpack's choice of forms.
class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}

  void Nil();
  void Bool(bool v);
  void Uint(std::uint64_t v);  // smallest unsigned form, like go-msgpack
  void Int(std::int64_t v);    // non-negative values as Uint, like go-msgpack
  // Strings and byte slices: raw (fixstr/str16/str32); nil-safe for empty.
  void Raw(std::string_view bytes);
  void ArrayHeader(std::uint32_t n);
  void MapHeader(std::uint32_t n);

  std::string* out() { return out_; }

 private:
  void Byte(std::uint8_t b) { out_->push_back(static_cast<char>(b)); }
  void Be(std::uint64_t v, int bytes);
  std::string* out_;
};

enum class Type : std::uint8_t { kNil, kBool, kUint, kInt, kFloat, kRaw, kArray, kMap, kExt };

// Reads values from a span that it does not own.
// Errors: kFailedPrecondition when the span ends inside a value
// ("truncated": a stream reader may fetch more bytes and retry from a saved
// position; see IsTruncated);
// kInvalidArgument when the bytes cannot be a valid value of the asked type.
class Reader {
 public:
  static constexpr int kMaxDepth = 32;

  explicit Reader(std::string_view data) : data_(data) {}

  std::size_t pos() const { return pos_; }
  void set_pos(std::size_t p) { pos_ = p; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool done() const { return pos_ >= data_.size(); }
  std::string_view rest() const { return data_.substr(pos_); }

  // The type of the next value without consuming it.
  Result<Type> Peek() const;
  // Consumes a nil if one is next; returns whether it did.
  bool TryNil();

  Result<bool> ReadBool();
  // Any integer form; negative values fail for ReadUint, overflow fails.
  Result<std::uint64_t> ReadUint();
  Result<std::int64_t> ReadInt();
  // Raw/str/bin of any width (nil reads as empty). The view points into the
  // reader's span.
  Result<std::string_view> ReadRaw();
  // Array/map headers; nil reads as 0 elements. The count is checked
  // against the remaining bytes (each element needs at least one byte).
  Result<std::uint32_t> ReadArrayHeader();
  Result<std::uint32_t> ReadMapHeader();
  // Skips one complete value of any type.
  Status Skip(int depth = 0);

 private:
  Result<std::uint64_t> Need(std::size_t n);  // returns pos before n bytes
  std::uint64_t Be(std::size_t at, int bytes) const;
  Result<std::uint32_t> ContainerHeader(bool map);

  std::string_view data_;
  std::size_t pos_ = 0;
};

// Reads a go-msgpack struct (a map keyed by Go field names). `field(key,
// &handled)` consumes the value of a key it knows and sets handled; values of
// other keys are skipped, so peers that add fields still parse.
template <typename F>
Status DecodeStruct(Reader& r, F&& field) {
  CKRON_ASSIGN_OR_RETURN(std::uint32_t n, r.ReadMapHeader());
  for (std::uint32_t i = 0; i < n; ++i) {
    CKRON_ASSIGN_OR_RETURN(std::string_view key, r.ReadRaw());
    bool handled = false;
    CKRON_RETURN_IF_ERROR(field(key, &handled));
    if (!handled) CKRON_RETURN_IF_ERROR(r.Skip());
  }
  return OkStatus();
}

// Reads an unsigned integer into a narrower field; out of range is invalid.
template <typename T>
Status ReadUintInto(Reader& r, T* out) {
  CKRON_ASSIGN_OR_RETURN(std::uint64_t v, r.ReadUint());
  if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
    return Status::InvalidArgument("msgpack: integer out of range");
  }
  *out = static_cast<T>(v);
  return OkStatus();
}

// Reads a raw/str value into an owned string.
inline Status ReadString(Reader& r, std::string* out) {
  CKRON_ASSIGN_OR_RETURN(std::string_view v, r.ReadRaw());
  out->assign(v);
  return OkStatus();
}

// True for the error a Reader returns when its span ended mid-value.
inline bool IsTruncated(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition;
}

}  // namespace ckron::membership::msgpack

#endif  // CKRON_MEMBERSHIP_MSGPACK_H_
