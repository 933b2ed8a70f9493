// The processes of a job, read from /proc: every descendant of a process
// (the shell executor's per-job reaper, which is a child subreaper, so
// orphaned descendants stay below it), with their resident memory. Used to
// enforce `mem_limit` and to kill what a job leaves behind.
//
// Best effort by nature: processes start and exit while /proc is read, so a
// process born after the scan is not in it (callers scan again) and one that
// exited is skipped.
//
// Thread safety: pure functions over the live /proc.
#ifndef CKRON_EXECUTOR_BUILTIN_PROC_TREE_H_
#define CKRON_EXECUTOR_BUILTIN_PROC_TREE_H_

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace ckron::executor {

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::uint64_t rss_bytes = 0;  // resident set size (/proc/<pid>/stat rss × page size)
  bool zombie = false;          // exited, not yet reaped: holds no memory
};

// Every live descendant of `root` (children, their children, ...), not
// `root` itself, in no particular order.
std::vector<ProcInfo> Descendants(pid_t root);

// The sum of rss_bytes over `procs`.
std::uint64_t TotalRss(const std::vector<ProcInfo>& procs);

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_PROC_TREE_H_
