#include "executor/builtin/shell.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace ckron::executor {
namespace {

ExecuteResponse RunShell(ExecutorConfig config, ShellOptions options = {},
                         const OutputSink& sink = {}, std::stop_token stop = {}) {
  ShellExecutor shell(options);
  return shell.Execute({JobName("my-job"), ExecutionId("exec-1"), std::move(config)}, sink, stop);
}

bool ProcessGone(pid_t pid) {
  return access(("/proc/" + std::to_string(pid)).c_str(), F_OK) != 0;
}

// Every child of this test process, from all its threads.
std::vector<pid_t> ChildrenOfThisProcess() {
  std::vector<pid_t> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(task.path() / "children");
    pid_t pid;
    while (in >> pid) out.push_back(pid);
  }
  return out;
}

// The pids a command printed, one per line.
std::vector<pid_t> Pids(const std::string& output) {
  std::vector<pid_t> out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) {
      out.push_back(std::stoi(line));
    }
  }
  return out;
}

std::string TempDir(const std::string& name) {
  const std::string dir =
      ::testing::TempDir() + "ckron_shell_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Collects streamed output and lets a test wait for some text in it.
class Stream {
 public:
  OutputSink Sink() {
    return [this](std::string_view chunk) {
      {
        std::lock_guard lock(mu_);
        text_.append(chunk);
        ++chunks_;
      }
      cv_.notify_all();
    };
  }
  void WaitFor(const std::string& needle) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return text_.find(needle) != std::string::npos; });
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  int chunks_ = 0;
};

TEST(ShellExecutor, ExitStatusDecidesSuccess) {
  ExecuteResponse ok = RunShell({{"command", "true"}});
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.exit_code, 0);
  ExecuteResponse failed = RunShell({{"command", "false"}});
  EXPECT_EQ(failed.error, "exit status 1");
  EXPECT_EQ(failed.exit_code, 1);
  ExecuteResponse three = RunShell({{"command", "sh -c 'echo bye; exit 3'"}});
  EXPECT_EQ(three.error, "exit status 3");
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.output, "bye\n");
}

TEST(ShellExecutor, StdoutAndStderrInterleaveAsWrittenAndAreStreamedInOrder) {
  Stream stream;
  ExecuteResponse r = RunShell(
      {{"shell", "true"}, {"command", "for i in 1 2 3; do echo out$i; echo err$i >&2; done"}}, {},
      stream.Sink());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "out1\nerr1\nout2\nerr2\nout3\nerr3\n");
  EXPECT_EQ(stream.text(), r.output);
}

TEST(ShellExecutor, OutputIsStreamedWhileTheJobStillRuns) {
  const std::string dir = TempDir("stream");
  const std::string fifo = dir + "/go";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Stream stream;
  ExecuteResponse r;
  std::thread job([&] {
    r = RunShell({{"shell", "true"}, {"command", "echo first; read x < " + fifo + "; echo second"}},
                 {}, stream.Sink());
  });
  // The job blocks on the fifo until "first" has reached the sink.
  stream.WaitFor("first\n");
  EXPECT_EQ(stream.text(), "first\n");
  std::ofstream(fifo) << "go\n";
  job.join();
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "first\nsecond\n");
}

TEST(ShellExecutor, KeepsTheLast256000BytesOfOutput) {
  std::string all;
  for (int i = 1; i <= 100000; ++i) all += std::to_string(i) + "\n";
  ASSERT_GT(all.size(), kMaxOutputBytes);
  std::size_t streamed = 0;
  ExecuteResponse r = RunShell({{"command", "seq 1 100000"}}, {},
                               [&](std::string_view c) { streamed += c.size(); });
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(streamed, all.size());
  ASSERT_EQ(r.output.size(), kMaxOutputBytes);
  EXPECT_EQ(r.output, all.substr(all.size() - kMaxOutputBytes));
}

TEST(ShellExecutor, ShellModeExpandsAndDirectModeSplitsQuotedArguments) {
  EXPECT_EQ(RunShell({{"shell", "true"}, {"command", "echo $((1+2)) | tr 3 x"}}).output, "x\n");
  ExecuteResponse direct = RunShell({{"command", R"(printf '%s|' 'a b' "c d" e\ f $HOME)"}});
  EXPECT_EQ(direct.error, "");
  EXPECT_EQ(direct.output, "a b|c d|e f|$HOME|");
  EXPECT_EQ(RunShell({{"command", "echo hi > /dev/null"}}).error.substr(0, 17),
            "unquoted '>' in c");
}

TEST(ShellExecutor, EnvIsAddedToTheAgentsWithTheJobName) {
  ::setenv("CKRON_TEST_INHERITED", "parent", 1);
  ExecuteResponse r = RunShell({{"shell", "true"},
                                {"env", "A=1,B=two words,CKRON_TEST_INHERITED=overridden"},
                                {"command", "echo \"$A|$B|$ENV_JOB_NAME|$CKRON_TEST_INHERITED\""}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "1|two words|my-job|overridden\n");
  EXPECT_EQ(RunShell({{"shell", "true"}, {"command", "echo $CKRON_TEST_INHERITED"}}).output,
            "parent\n");
}

TEST(ShellExecutor, CwdSetsTheWorkingDirectory) {
  const std::string dir = TempDir("cwd");
  ExecuteResponse r = RunShell({{"command", "pwd"}, {"cwd", dir}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, std::filesystem::canonical(dir).string() + "\n");
  EXPECT_EQ(RunShell({{"command", "pwd"}, {"cwd", "/nonexistent-ckron"}}).error,
            "chdir /nonexistent-ckron: no such file or directory");
}

TEST(ShellExecutor, PayloadIsDecodedOntoStdin) {
  ExecuteResponse r = RunShell({{"command", "cat"}, {"payload", "aGVsbG8Kd29ybGQ="}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "hello\nworld");
  // Larger than a pipe's buffer: written as the job reads (Dkron would block).
  std::string encoded;
  for (int i = 0; i < 349526; ++i) encoded += "eHh4";  // "xxx" each: 1,048,578 bytes
  ExecuteResponse wc = RunShell({{"command", "wc -c"}, {"payload", encoded}});
  EXPECT_EQ(wc.error, "");
  EXPECT_EQ(std::stol(wc.output), 1048578);
  // Without a payload stdin is at EOF at once.
  EXPECT_EQ(RunShell({{"command", "cat"}}).output, "");
}

TEST(ShellExecutor, TimeoutKillsTheWholeProcessTree) {
  // The job starts a background child, a child in its own session (out of
  // the process group) and prints their pids and its own, then waits.
  ExecuteResponse r = RunShell({{"shell", "true"},
                                {"timeout", "2s"},
                                {"command",
                                 "sleep 1000 & echo $!; setsid sleep 1000 & echo $!; echo $$; "
                                 "sleep 1000; echo not reached"}});
  EXPECT_EQ(r.error, "signal: killed");
  EXPECT_FALSE(r.exit_code);
  const std::string message =
      "shell: Job 'sleep 1000 & echo $!; setsid sleep 1000 & echo $!; echo $$; sleep 1000; echo "
      "not reached' execution time exceeding defined timeout 2s. Job was killed";
  ASSERT_GE(r.output.size(), message.size());
  EXPECT_EQ(r.output.substr(r.output.size() - message.size()), message);
  const std::vector<pid_t> pids = Pids(r.output);
  ASSERT_EQ(pids.size(), 3u) << r.output;
  for (const pid_t pid : pids) EXPECT_TRUE(ProcessGone(pid)) << "pid " << pid << " survived";
  EXPECT_TRUE(ChildrenOfThisProcess().empty());
}

TEST(ShellExecutor, CancelStopsTheJobWithSigterm) {
  std::stop_source stop;
  Stream stream;
  ExecuteResponse r;
  std::thread job([&] {
    r = RunShell({{"shell", "true"}, {"command", "echo $$; echo ready; sleep 1000"}}, {},
                 stream.Sink(), stop.get_token());
  });
  stream.WaitFor("ready\n");
  stop.request_stop();
  job.join();
  EXPECT_EQ(r.error, "signal: terminated");
  EXPECT_NE(r.output.find("shell: Job 'echo $$; echo ready; sleep 1000' was cancelled"),
            std::string::npos)
      << r.output;
  for (const pid_t pid : Pids(r.output)) EXPECT_TRUE(ProcessGone(pid));
}

TEST(ShellExecutor, CancelEscalatesToSigkillWhenSigtermIsIgnored) {
  std::stop_source stop;
  Stream stream;
  ExecuteResponse r;
  std::thread job([&] {
    r = RunShell({{"shell", "true"}, {"command", "trap '' TERM; echo ready; sleep 1000"}},
                 {.cancel_grace = absl::Milliseconds(200)}, stream.Sink(), stop.get_token());
  });
  stream.WaitFor("ready\n");
  stop.request_stop();
  job.join();
  EXPECT_EQ(r.error, "signal: killed");
}

TEST(ShellExecutor, ACancelledJobThatExitsCleanlyStillFails) {
  std::stop_source stop;
  Stream stream;
  ExecuteResponse r;
  std::thread job([&] {
    r = RunShell(
        {{"shell", "true"},
         {"command", "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done"}},
        {}, stream.Sink(), stop.get_token());
  });
  stream.WaitFor("ready\n");
  stop.request_stop();
  job.join();
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.error, "shell: Job was cancelled");
}

TEST(ShellExecutor, MemLimitKillsAJobThatAllocatesBeyondIt) {
  ExecuteResponse r = RunShell(
      {{"command", std::string(CKRON_TEST_CHILD) + " alloc 268435456"}, {"mem_limit", "64MB"}},
      {.mem_poll_interval = absl::Milliseconds(20)});
  EXPECT_EQ(r.error, "signal: killed");
  EXPECT_NE(r.output.find("bytes) exceeding defined limit (67108864 bytes). Job was killed"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(ChildrenOfThisProcess().empty());
}

TEST(ShellExecutor, MemLimitLeavesAJobBelowItAlone) {
  ExecuteResponse r = RunShell(
      {{"command", std::string(CKRON_TEST_CHILD) + " alloc-exit 1048576"}, {"mem_limit", "1GB"}},
      {.mem_poll_interval = absl::Milliseconds(20)});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output.substr(0, 17), "allocated 1048576");
}

TEST(ShellExecutor, SuRunsTheJobAsAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "su needs root; this test runs as uid " << geteuid();
  ExecuteResponse r = RunShell({{"command", "id -u"}, {"su", "nobody"}});
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.output, "65534\n");
  ExecuteResponse g = RunShell({{"command", "id -g"}, {"su", "nobody:nogroup"}, {"cwd", "/"}});
  EXPECT_EQ(g.output, "65534\n");
  // Root's supplementary groups are not kept.
  ExecuteResponse groups = RunShell({{"command", "id -G"}, {"su", "nobody"}});
  EXPECT_EQ(groups.output, "65534\n");
  EXPECT_EQ(RunShell({{"command", "id"}, {"su", "no-such-user-ckron"}}).error,
            "user: unknown user no-such-user-ckron");
}

TEST(ShellExecutor, StartErrorsReadLikeDkrons) {
  EXPECT_EQ(RunShell({{"command", ""}}).error, "shell: Command missing");
  EXPECT_EQ(RunShell({{"command", "   "}}).error, "shell: Command missing");
  EXPECT_EQ(RunShell({{"command", "no-such-binary-ckron --flag"}}).error,
            "exec: \"no-such-binary-ckron\": executable file not found in $PATH");
  EXPECT_EQ(RunShell({{"command", "/nonexistent-ckron/bin"}}).error,
            "fork/exec /nonexistent-ckron/bin: no such file or directory");
  const std::string not_executable = TempDir("start") + "/data.txt";
  std::ofstream(not_executable) << "data\n";
  std::filesystem::permissions(not_executable, std::filesystem::perms::owner_read);
  EXPECT_EQ(RunShell({{"command", not_executable}}).error,
            "fork/exec " + not_executable + ": permission denied");
  EXPECT_EQ(RunShell({{"command", "echo 'unbalanced"}}).error, "invalid command line string");
  EXPECT_EQ(RunShell({{"command", "true"}, {"timeout", "soon"}}).error,
            "shell: Error parsing job timeout");
  EXPECT_EQ(RunShell({{"command", "true"}, {"payload", "***"}}).error,
            "illegal base64 data at input byte 0");
  EXPECT_TRUE(ChildrenOfThisProcess().empty());
}

TEST(ShellExecutor, ConcurrentExecutionsDoNotWaitForASlowOne) {
  std::stop_source stop_slow;
  Stream slow_stream;
  ExecuteResponse slow;
  std::thread slow_job([&] {
    slow = RunShell({{"shell", "true"}, {"command", "echo started; sleep 1000"}}, {},
                    slow_stream.Sink(), stop_slow.get_token());
  });
  slow_stream.WaitFor("started");
  std::vector<ExecuteResponse> quick(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < quick.size(); ++i) {
    threads.emplace_back([&, i] {
      quick[i] =
          RunShell({{"command", "echo " + std::to_string(i)}, {"env", "I=" + std::to_string(i)}});
    });
  }
  for (std::thread& t : threads) t.join();
  for (std::size_t i = 0; i < quick.size(); ++i) {
    EXPECT_EQ(quick[i].error, "");
    EXPECT_EQ(quick[i].output, std::to_string(i) + "\n");
  }
  stop_slow.request_stop();  // the slow one was still running all along
  slow_job.join();
  EXPECT_EQ(slow.error, "signal: terminated");
}

TEST(ShellExecutor, NoZombieNorLeftoverProcessRemains) {
  ExecuteResponse r = RunShell({{"shell", "true"}, {"command", "echo $$; sleep 1000 & echo $!"}});
  EXPECT_EQ(r.error, "");
  const std::vector<pid_t> pids = Pids(r.output);
  ASSERT_EQ(pids.size(), 2u);
  // The job exited, its background child was killed, and both were reaped.
  for (const pid_t pid : pids) EXPECT_TRUE(ProcessGone(pid)) << pid;
  EXPECT_TRUE(ChildrenOfThisProcess().empty());
}

TEST(ShellExecutor, TheJobGetsDefaultSignalsAndNoInheritedDescriptors) {
  // What an agent does: ignore SIGPIPE, block shutdown signals, and hold
  // descriptors opened without O_CLOEXEC.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_pipe {};
  sigaction(SIGPIPE, &ignore, &old_pipe);
  sigset_t blocked, old_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  pthread_sigmask(SIG_BLOCK, &blocked, &old_mask);
  const int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose

  ExecuteResponse status = RunShell({{"command", "grep -E '^Sig(Blk|Ign)' /proc/self/status"}});
  ExecuteResponse fds = RunShell({{"command", "ls /proc/self/fd"}});

  close(leaked);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  EXPECT_EQ(status.output, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  EXPECT_EQ(fds.output, "0\n1\n2\n3\n");  // 3 is ls's own directory handle
}

}  // namespace
}  // namespace ckron::executor
