// The one place raft/ includes libraft's and libuv's C headers. Private to
// raft/: public headers never include this file.
//
// libraft 0.15's headers have no `extern "C"` guards (deps.md §1), so they are
// wrapped here. Several libraft functions share their name with a struct
// (raft_apply, raft_barrier, raft_transfer): in C++ the function hides the
// type, so write `struct raft_apply` for the type. The C `struct raft` also
// lives in the global namespace while our code lives in ckron::raft: always
// write `::raft` for it.
#ifndef CKRON_RAFT_C_API_H_
#define CKRON_RAFT_C_API_H_

#include <uv.h>

extern "C" {
#include <raft.h>
#include <raft/uv.h>
}

#endif  // CKRON_RAFT_C_API_H_
