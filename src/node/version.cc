#include "node/version.h"

#ifndef CKRON_VERSION
#error "CKRON_VERSION must be defined by the build (src/node/CMakeLists.txt)"
#endif

namespace ckron::node {

std::string_view Version() {
  return CKRON_VERSION;
}

}  // namespace ckron::node
