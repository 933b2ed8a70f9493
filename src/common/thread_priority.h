// Background work that must not compete with the latency-sensitive threads
// (the raft loop, the API's I/O threads, dispatch) runs at the lowest CPU
// priority: it takes the cores' idle time and yields them whenever anything
// else is runnable.
//
// Thread safety: changes only the calling thread.
#ifndef CKRON_COMMON_THREAD_PRIORITY_H_
#define CKRON_COMMON_THREAD_PRIORITY_H_

namespace ckron {

// Sets the calling thread's nice value to 19 (Linux schedules niceness per
// thread). An unprivileged thread cannot raise it again: call it on a
// thread made for the background work. Best effort: a failure is ignored.
void LowerThreadPriority();

}  // namespace ckron

#endif  // CKRON_COMMON_THREAD_PRIORITY_H_
