// Names the calling thread as `top -H`, `perf` and gdb show it. Linux keeps
// 15 bytes of a name; a longer one is cut there.
//
// Thread safety: names only the calling thread.
#ifndef CKRON_COMMON_THREAD_NAME_H_
#define CKRON_COMMON_THREAD_NAME_H_

#include <string_view>

namespace ckron {

void SetThreadName(std::string_view name);

}  // namespace ckron

#endif  // CKRON_COMMON_THREAD_NAME_H_
