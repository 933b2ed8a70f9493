// Just enough multipart/form-data (RFC 7578) for POST /v1/restore: finds
// one named part in a buffered body.
//
// Thread safety: pure function.
#ifndef CKRON_API_MULTIPART_H_
#define CKRON_API_MULTIPART_H_

#include <optional>
#include <string>
#include <string_view>

namespace ckron::api {

// The content of the part whose Content-Disposition names `field`, given
// the request's Content-Type header (which carries the boundary). nullopt
// when the type is not multipart/form-data, the body is malformed, or no
// such part exists.
std::optional<std::string> MultipartField(std::string_view content_type, std::string_view body,
                                          std::string_view field);

}  // namespace ckron::api

#endif  // CKRON_API_MULTIPART_H_
