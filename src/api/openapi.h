// The OpenAPI 3 document of the whole API, docs/openapi.json embedded into
// the binary at build time (one source of truth; src/api/CMakeLists.txt
// generates the definition).
#ifndef CKRON_API_OPENAPI_H_
#define CKRON_API_OPENAPI_H_

#include <string_view>

namespace ckron::api {

std::string_view OpenApiDocument();

}  // namespace ckron::api

#endif  // CKRON_API_OPENAPI_H_
