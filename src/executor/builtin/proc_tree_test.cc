#include "executor/builtin/proc_tree.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

TEST(ProcTree, FindsChildrenAndGrandchildrenWithTheirMemory) {
  // The grandchild is reaped here once its parent is gone (no zombie left
  // behind under a PID 1 that does not reap).
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // child: start a grandchild, report, wait to be killed
    const pid_t grandchild = fork();
    if (grandchild == 0) {
      while (true) pause();
    }
    [[maybe_unused]] ssize_t n = write(ready[1], &grandchild, sizeof grandchild);
    while (true) pause();
  }
  pid_t grandchild = 0;
  ASSERT_EQ(read(ready[0], &grandchild, sizeof grandchild),
            static_cast<ssize_t>(sizeof grandchild));
  close(ready[0]);
  close(ready[1]);

  const std::vector<ProcInfo> procs = Descendants(getpid());
  const auto has = [&](pid_t pid) {
    return std::any_of(procs.begin(), procs.end(), [&](const ProcInfo& p) { return p.pid == pid; });
  };
  EXPECT_TRUE(has(child));
  EXPECT_TRUE(has(grandchild));
  EXPECT_FALSE(has(getpid()));
  EXPECT_GT(TotalRss(procs), 0u);

  kill(grandchild, SIGKILL);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  waitpid(grandchild, nullptr, 0);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

}  // namespace
}  // namespace ckron::executor
