#include "membership/msgpack.h"

#include <limits>

namespace ckron::membership::msgpack {
namespace {
Status Truncated() {
  return Status::FailedPrecondition("msgpack: truncated");
}
Status Invalid(const char* what) {
  return Status::InvalidArgument(std::string("msgpack: ") + what);
}
}  // namespace

// ---------------------------------------------------------------- Writer

void Writer::Be(std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) Byte(static_cast<std::uint8_t>(v >> (8 * i)));
}

void Writer::Nil() {
  Byte(0xc0);
}
void Writer::Bool(bool v) {
  Byte(v ? 0xc3 : 0xc2);
}

void Writer::Uint(std::uint64_t v) {
  if (v <= 0x7f) {
    Byte(static_cast<std::uint8_t>(v));
  } else if (v <= 0xff) {
    Byte(0xcc);
    Be(v, 1);
  } else if (v <= 0xffff) {
    Byte(0xcd);
    Be(v, 2);
  } else if (v <= 0xffffffffULL) {
    Byte(0xce);
    Be(v, 4);
  } else {
    Byte(0xcf);
    Be(v, 8);
  }
}

void Writer::Int(std::int64_t v) {
  if (v >= 0) return Uint(static_cast<std::uint64_t>(v));
  const auto u = static_cast<std::uint64_t>(v);
  if (v >= -32) {
    Byte(static_cast<std::uint8_t>(u));
  } else if (v >= std::numeric_limits<std::int8_t>::min()) {
    Byte(0xd0);
    Be(u, 1);
  } else if (v >= std::numeric_limits<std::int16_t>::min()) {
    Byte(0xd1);
    Be(u, 2);
  } else if (v >= std::numeric_limits<std::int32_t>::min()) {
    Byte(0xd2);
    Be(u, 4);
  } else {
    Byte(0xd3);
    Be(u, 8);
  }
}

void Writer::Raw(std::string_view bytes) {
  const std::size_t n = bytes.size();
  if (n < 32) {
    Byte(static_cast<std::uint8_t>(0xa0 | n));
  } else if (n < 65536) {
    Byte(0xda);
    Be(n, 2);
  } else {
    Byte(0xdb);
    Be(n, 4);
  }
  out_->append(bytes);
}

void Writer::ArrayHeader(std::uint32_t n) {
  if (n < 16) {
    Byte(static_cast<std::uint8_t>(0x90 | n));
  } else if (n < 65536) {
    Byte(0xdc);
    Be(n, 2);
  } else {
    Byte(0xdd);
    Be(n, 4);
  }
}

void Writer::MapHeader(std::uint32_t n) {
  if (n < 16) {
    Byte(static_cast<std::uint8_t>(0x80 | n));
  } else if (n < 65536) {
    Byte(0xde);
    Be(n, 2);
  } else {
    Byte(0xdf);
    Be(n, 4);
  }
}

// ---------------------------------------------------------------- Reader

Result<std::uint64_t> Reader::Need(std::size_t n) {
  if (remaining() < n) return Truncated();
  const std::size_t at = pos_;
  pos_ += n;
  return static_cast<std::uint64_t>(at);
}

std::uint64_t Reader::Be(std::size_t at, int bytes) const {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | static_cast<std::uint8_t>(data_[at + static_cast<std::size_t>(i)]);
  }
  return v;
}

Result<Type> Reader::Peek() const {
  if (done()) return Truncated();
  const auto b = static_cast<std::uint8_t>(data_[pos_]);
  if (b <= 0x7f || (b >= 0xcc && b <= 0xcf)) return Type::kUint;
  if (b >= 0xe0 || (b >= 0xd0 && b <= 0xd3)) return Type::kInt;
  if ((b & 0xf0) == 0x80 || b == 0xde || b == 0xdf) return Type::kMap;
  if ((b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd) return Type::kArray;
  if ((b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb) || (b >= 0xc4 && b <= 0xc6)) {
    return Type::kRaw;
  }
  if (b == 0xc0) return Type::kNil;
  if (b == 0xc2 || b == 0xc3) return Type::kBool;
  if (b == 0xca || b == 0xcb) return Type::kFloat;
  if ((b >= 0xc7 && b <= 0xc9) || (b >= 0xd4 && b <= 0xd8)) return Type::kExt;
  return Invalid("reserved type byte 0xc1");
}

bool Reader::TryNil() {
  if (!done() && static_cast<std::uint8_t>(data_[pos_]) == 0xc0) {
    ++pos_;
    return true;
  }
  return false;
}

Result<bool> Reader::ReadBool() {
  CKRON_ASSIGN_OR_RETURN(auto at, Need(1));
  const auto b = static_cast<std::uint8_t>(data_[at]);
  if (b == 0xc2 || b == 0xc0) return false;
  if (b == 0xc3) return true;
  pos_ = at;
  return Invalid("expected bool");
}

Result<std::int64_t> Reader::ReadInt() {
  const std::size_t start = pos_;
  CKRON_ASSIGN_OR_RETURN(auto at, Need(1));
  const auto b = static_cast<std::uint8_t>(data_[at]);
  auto fixed = [&](int n) -> Result<std::uint64_t> {
    CKRON_ASSIGN_OR_RETURN(auto p, Need(static_cast<std::size_t>(n)));
    return Be(p, n);
  };
  std::int64_t v = 0;
  if (b <= 0x7f) {
    v = b;
  } else if (b >= 0xe0) {
    v = static_cast<std::int8_t>(b);
  } else if (b == 0xc0) {
    v = 0;
  } else if (b >= 0xcc && b <= 0xcf) {
    const int n = 1 << (b - 0xcc);
    auto r = fixed(n);
    if (!r.ok()) {
      pos_ = start;
      return r.status();
    }
    if (*r > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      pos_ = start;
      return Invalid("integer overflow");
    }
    v = static_cast<std::int64_t>(*r);
  } else if (b >= 0xd0 && b <= 0xd3) {
    const int n = 1 << (b - 0xd0);
    auto r = fixed(n);
    if (!r.ok()) {
      pos_ = start;
      return r.status();
    }
    switch (n) {
      case 1:
        v = static_cast<std::int8_t>(*r);
        break;
      case 2:
        v = static_cast<std::int16_t>(*r);
        break;
      case 4:
        v = static_cast<std::int32_t>(*r);
        break;
      default:
        v = static_cast<std::int64_t>(*r);
        break;
    }
  } else {
    pos_ = start;
    return Invalid("expected integer");
  }
  return v;
}

Result<std::uint64_t> Reader::ReadUint() {
  const std::size_t start = pos_;
  if (!done()) {
    const auto b = static_cast<std::uint8_t>(data_[pos_]);
    if (b == 0xcf) {  // the one form that does not fit int64
      ++pos_;
      auto at = Need(8);
      if (!at.ok()) {
        pos_ = start;
        return at.status();
      }
      return Be(*at, 8);
    }
  }
  CKRON_ASSIGN_OR_RETURN(auto v, ReadInt());
  if (v < 0) {
    pos_ = start;
    return Invalid("negative value for unsigned field");
  }
  return static_cast<std::uint64_t>(v);
}

Result<std::string_view> Reader::ReadRaw() {
  const std::size_t start = pos_;
  CKRON_ASSIGN_OR_RETURN(auto at, Need(1));
  const auto b = static_cast<std::uint8_t>(data_[at]);
  std::uint64_t n = 0;
  int width = 0;
  if ((b & 0xe0) == 0xa0) {
    n = b & 0x1f;
  } else if (b == 0xc0) {
    return std::string_view();
  } else if (b == 0xd9 || b == 0xc4) {
    width = 1;
  } else if (b == 0xda || b == 0xc5) {
    width = 2;
  } else if (b == 0xdb || b == 0xc6) {
    width = 4;
  } else {
    pos_ = start;
    return Invalid("expected string or bytes");
  }
  if (width > 0) {
    auto p = Need(static_cast<std::size_t>(width));
    if (!p.ok()) {
      pos_ = start;
      return p.status();
    }
    n = Be(*p, width);
  }
  if (remaining() < n) {
    pos_ = start;
    return Truncated();
  }
  std::string_view out = data_.substr(pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return out;
}

Result<std::uint32_t> Reader::ContainerHeader(bool map) {
  const std::size_t start = pos_;
  CKRON_ASSIGN_OR_RETURN(auto at, Need(1));
  const auto b = static_cast<std::uint8_t>(data_[at]);
  std::uint64_t n = 0;
  int width = 0;
  if (b == 0xc0) return 0u;
  if (map && (b & 0xf0) == 0x80) {
    n = b & 0x0f;
  } else if (!map && (b & 0xf0) == 0x90) {
    n = b & 0x0f;
  } else if (b == (map ? 0xde : 0xdc)) {
    width = 2;
  } else if (b == (map ? 0xdf : 0xdd)) {
    width = 4;
  } else {
    pos_ = start;
    return Invalid(map ? "expected map" : "expected array");
  }
  if (width > 0) {
    auto p = Need(static_cast<std::size_t>(width));
    if (!p.ok()) {
      pos_ = start;
      return p.status();
    }
    n = Be(*p, width);
  }
  // Every element takes at least one byte (two for a map entry), so a count
  // larger than what is left cannot be honest: say "truncated" and let the
  // caller's byte limit decide, without reserving anything.
  if (n * (map ? 2 : 1) > remaining()) {
    pos_ = start;
    return Truncated();
  }
  return static_cast<std::uint32_t>(n);
}

Result<std::uint32_t> Reader::ReadArrayHeader() {
  return ContainerHeader(false);
}
Result<std::uint32_t> Reader::ReadMapHeader() {
  return ContainerHeader(true);
}

Status Reader::Skip(int depth) {
  if (depth > kMaxDepth) return Invalid("nesting too deep");
  const std::size_t start = pos_;
  auto fail = [&](Status s) {
    pos_ = start;
    return s;
  };
  CKRON_ASSIGN_OR_RETURN(Type t, Peek());
  switch (t) {
    case Type::kNil:
    case Type::kBool:
      ++pos_;
      return OkStatus();
    case Type::kUint:
    case Type::kInt: {
      auto r = ReadInt();
      if (!r.ok()) {
        // uint64 above int64 max: skip by width.
        if (static_cast<std::uint8_t>(data_[pos_]) == 0xcf) {
          auto u = ReadUint();
          return u.ok() ? OkStatus() : fail(u.status());
        }
        return fail(r.status());
      }
      return OkStatus();
    }
    case Type::kFloat: {
      const auto b = static_cast<std::uint8_t>(data_[pos_]);
      auto r = Need(b == 0xca ? 5 : 9);
      return r.ok() ? OkStatus() : fail(r.status());
    }
    case Type::kRaw: {
      auto r = ReadRaw();
      return r.ok() ? OkStatus() : fail(r.status());
    }
    case Type::kExt: {
      const auto b = static_cast<std::uint8_t>(data_[pos_]);
      std::uint64_t n = 0;
      ++pos_;
      if (b >= 0xd4 && b <= 0xd8) {
        n = 1ULL << (b - 0xd4);
      } else {
        const int width = 1 << (b - 0xc7);
        auto p = Need(static_cast<std::size_t>(width));
        if (!p.ok()) return fail(p.status());
        n = Be(*p, width);
      }
      if (remaining() < n + 1) return fail(Truncated());
      pos_ += static_cast<std::size_t>(n + 1);
      return OkStatus();
    }
    case Type::kArray:
    case Type::kMap: {
      const bool map = t == Type::kMap;
      auto n = ContainerHeader(map);
      if (!n.ok()) return fail(n.status());
      const std::uint64_t items = static_cast<std::uint64_t>(*n) * (map ? 2 : 1);
      for (std::uint64_t i = 0; i < items; ++i) {
        Status s = Skip(depth + 1);
        if (!s.ok()) return fail(s);
      }
      return OkStatus();
    }
  }
  return fail(Invalid("unknown type"));
}

}  // namespace ckron::membership::msgpack
