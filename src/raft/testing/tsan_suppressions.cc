// ThreadSanitizer suppressions for raft/ test binaries (TSan builds only).
// libuv and libraft are not instrumented, so TSan cannot see the
// synchronisation inside libuv's work queue: a file descriptor that libraft's
// uv I/O opens on a libuv worker thread and then registers with epoll on the
// loop thread is reported as a race on the descriptor. Only frames inside
// those two libraries are suppressed; our code stays fully checked.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
extern "C" const char* __tsan_default_suppressions() {
  return "race:libuv.so.1\n"
         "race:libraft.so.2\n";
}
#endif
#endif
