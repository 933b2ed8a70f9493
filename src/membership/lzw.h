// LZW as Go's compress/lzw writes and reads it with order LSB and literal
// width 8 — the only compression memberlist (and so Serf) uses
// (memberlist util.go compressPayload: lzw.NewWriter(&buf, lzw.LSB, 8)).
// Codes start 9 bits wide, grow to 12; code 256 is "clear", 257 is "end".
//
// Thread safety: pure functions.
#ifndef CKRON_MEMBERSHIP_LZW_H_
#define CKRON_MEMBERSHIP_LZW_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace ckron::membership::lzw {

// Compresses `in`; the output decodes with Go's lzw.NewReader(LSB, 8).
std::string Compress(std::string_view in);

// Decompresses `in`. Never produces more than `max_out` bytes: a stream that
// would expand further fails with kResourceExhausted (a zip bomb is refused
// without allocating it). Malformed input fails with kInvalidArgument.
Result<std::string> Decompress(std::string_view in, std::size_t max_out);

}  // namespace ckron::membership::lzw

#endif  // CKRON_MEMBERSHIP_LZW_H_
