// The cluster every scheduling test of one process shares: three servers
// (n0-n2) and two plain agents tagged kind=worker (n3, n4), real `ckron
// agent` processes on 127.0.0.1 started once (formation takes seconds, so
// the binary is one CTest test: ckron_test(... ONE_PROCESS)). Tests use
// their own job names; the fixture disables every job a test wrote when the
// test ends, so a finished test's `@every` jobs do not load the next ones.
//
// Thread safety: test-thread only.
#ifndef CKRON_TESTS_CLUSTER_SCHEDULING_CLUSTER_H_
#define CKRON_TESTS_CLUSTER_SCHEDULING_CLUSTER_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent_cluster.h"

namespace ckron::testing {

class SchedulingTest : public ::testing::Test {
 protected:
  // Starts the shared cluster the first time (an error is kept and fails
  // every test).
  static void SetUpTestSuite();
  void SetUp() override;
  // Disables the jobs this test wrote.
  void TearDown() override;

  static AgentCluster& cluster();

  // Writes `job` through server `i` and remembers it for TearDown.
  Status PutJob(int i, const fsm::Job& job);

  // A shell job (shell syntax) on every kind=worker agent.
  static fsm::Job ShellJob(const std::string& name, const std::string& command,
                           const std::string& schedule = "@every 1s");
  // A one-off schedule two seconds from now.
  static std::string AtSoon();

  // The executions of `job` once `done` holds for them (read from the first
  // server that answers); a failure with the cluster's logs otherwise.
  static std::vector<fsm::Execution> WaitExecutions(
      const std::string& job, const std::function<bool(const std::vector<fsm::Execution>&)>& done,
      milliseconds timeout = 60s);
  // The one execution of a one-off job, once it has finished.
  static std::vector<fsm::Execution> WaitOneFinished(const std::string& job);

  // One line per execution, for failure messages.
  static std::string Dump(const std::vector<fsm::Execution>& es);

 private:
  std::vector<std::string> written_;
};

// Finished executions grouped by trigger.
std::map<std::int64_t, std::vector<fsm::Execution>> FinishedByGroup(
    const std::vector<fsm::Execution>& es);

}  // namespace ckron::testing

#endif  // CKRON_TESTS_CLUSTER_SCHEDULING_CLUSTER_H_
