#include "executor/builtin/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "executor/builtin/go_compat.h"
#include "executor/builtin/proc_tree.h"

namespace ckron::executor {
namespace {

// Descriptor numbers inside the reaper and the job (before the job's dup2).
constexpr int kChildIn = 3;      // the job's stdin (read end)
constexpr int kChildOut = 4;     // the job's stdout+stderr (write end)
constexpr int kChildReport = 5;  // reports to the agent (close-on-exec)

// Everything the children use, prepared before the fork: after it they may
// not allocate.
struct ChildPlan {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* cwd;  // nullptr: inherit
  const Credentials* creds;
  bool kill_leftovers;
  int in_read, out_write, report_write;
};

// ---- Code below runs in forked children: async-signal-safe calls only. ----

void Report(std::int32_t kind, std::int32_t value, std::int32_t error) {
  const SpawnReport r{kind, value, error, 0};
  // sizeof r < PIPE_BUF: the write is atomic. Nothing to do if it fails.
  while (write(kChildReport, &r, sizeof r) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void FailJob(SpawnStage stage) {
  Report(SpawnReport::kFailed, stage, errno);
  _exit(127);
}

void ResetSignals(bool reaper) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    // The reaper ignores everything but SIGCHLD (it must outlive the job);
    // the job gets every default back.
    sigaction(sig, reaper && sig != SIGCHLD ? &ign : &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void CloseFrom(int first) {
  if (close_range(static_cast<unsigned>(first), ~0U, 0) == 0) return;
  rlimit lim{};
  rlim_t max = 65536;
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < max) max = lim.rlim_cur;
  for (rlim_t fd = static_cast<rlim_t>(first); fd < max; ++fd) close(static_cast<int>(fd));
}

[[noreturn]] void RunJob(const ChildPlan& plan) {
  setsid();  // a new session and process group: the job's pid names both
  Report(SpawnReport::kStarted, getpid(), 0);
  ResetSignals(/*reaper=*/false);
  if (plan.creds != nullptr) {
    const Credentials& c = *plan.creds;
    // Raw system calls: glibc's wrappers coordinate all threads of the
    // parent, which do not exist here.
    if (syscall(SYS_setgroups, c.groups.size(), c.groups.data()) != 0) FailJob(kStageSetgroups);
    if (syscall(SYS_setresgid, c.gid, c.gid, c.gid) != 0) FailJob(kStageSetgid);
    if (syscall(SYS_setresuid, c.uid, c.uid, c.uid) != 0) FailJob(kStageSetuid);
  }
  if (plan.cwd != nullptr && chdir(plan.cwd) != 0) FailJob(kStageChdir);
  if (dup2(kChildIn, STDIN_FILENO) < 0 || dup2(kChildOut, STDOUT_FILENO) < 0 ||
      dup2(kChildOut, STDERR_FILENO) < 0) {
    FailJob(kStageExec);
  }
  close(kChildIn);
  close(kChildOut);
  execve(plan.path, plan.argv, plan.envp);
  FailJob(kStageExec);
}

[[noreturn]] void RunReaper(const ChildPlan& plan) {
  setsid();  // out of the agent's session: a terminal's ^C does not reach it
  ResetSignals(/*reaper=*/true);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // Keep exactly three descriptors, at known numbers, all close-on-exec.
  const int in = fcntl(plan.in_read, F_DUPFD_CLOEXEC, 10);
  const int out = fcntl(plan.out_write, F_DUPFD_CLOEXEC, 10);
  const int rep = fcntl(plan.report_write, F_DUPFD_CLOEXEC, 10);
  if (in < 0 || out < 0 || rep < 0 || dup3(in, kChildIn, O_CLOEXEC) < 0 ||
      dup3(out, kChildOut, O_CLOEXEC) < 0 || dup3(rep, kChildReport, O_CLOEXEC) < 0) {
    _exit(126);  // the agent sees EOF without a report
  }
  CloseFrom(kChildReport + 1);

  const pid_t job = _Fork();
  if (job == 0) RunJob(plan);
  if (job < 0) {
    Report(SpawnReport::kFailed, kStageFork, errno);
    Report(SpawnReport::kExited, W_EXITCODE(127, 0), 0);
    _exit(0);
  }
  close(kChildIn);
  close(kChildOut);
  int status = 0;
  while (true) {
    int st = 0;
    const pid_t r = waitpid(-1, &st, 0);
    if (r == job) {
      status = st;
      break;
    }
    if (r < 0 && errno != EINTR) break;  // cannot happen: the job is our child
  }
  Report(SpawnReport::kExited, status, 0);
  if (plan.kill_leftovers) {
    // What is left of the job's group dies; the agent kills descendants
    // that left the group. Reap everyone we inherit until none is left.
    kill(-job, SIGKILL);
    while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
  }
  _exit(0);
}

// ---- End of child code. ----

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Status Errno(const std::string& what) {
  return Status::Unavailable(what + ": " + gocompat::ErrnoText(errno));
}

// Reads one whole report, blocking. False on EOF.
bool ReadReport(int fd, SpawnReport* report) {
  std::size_t got = 0;
  auto* bytes = reinterpret_cast<char*>(report);
  while (got < sizeof *report) {
    const ssize_t n = read(fd, bytes + got, sizeof *report - got);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n == 0) {
      return false;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

void WaitFor(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

void UniqueFd::Reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

SpawnedJob::SpawnedJob(SpawnedJob&& other) noexcept
    : reaper_(std::exchange(other.reaper_, -1)),
      job_(std::exchange(other.job_, -1)),
      output_(std::move(other.output_)),
      input_(std::move(other.input_)),
      reports_(std::move(other.reports_)) {}

SpawnedJob::~SpawnedJob() {
  if (reaper_ <= 0) return;
  SignalDescendants(SIGKILL);
  kill(reaper_, SIGKILL);
  WaitFor(reaper_);
}

void SpawnedJob::SignalAll(int sig) const {
  if (job_ > 0) kill(-job_, sig);
  SignalDescendants(sig);
}

void SpawnedJob::SignalDescendants(int sig) const {
  if (reaper_ <= 0) return;
  for (const ProcInfo& p : Descendants(reaper_)) {
    if (!p.zombie) kill(p.pid, sig);
  }
}

void SpawnedJob::ReapReaper() {
  if (reaper_ <= 0) return;
  WaitFor(reaper_);
  reaper_ = -1;
}

Result<SpawnedJob> Spawn(const SpawnSpec& spec) {
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.env);
  int in[2], out[2], rep[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Errno("pipe");
  UniqueFd in_read(in[0]), in_write(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) return Errno("pipe");
  UniqueFd out_read(out[0]), out_write(out[1]);
  if (pipe2(rep, O_CLOEXEC) != 0) return Errno("pipe");
  UniqueFd rep_read(rep[0]), rep_write(rep[1]);

  const ChildPlan plan{spec.path.c_str(),
                       argv.data(),
                       envp.data(),
                       spec.cwd.empty() ? nullptr : spec.cwd.c_str(),
                       spec.creds ? &*spec.creds : nullptr,
                       spec.kill_leftovers,
                       in_read.get(),
                       out_write.get(),
                       rep_write.get()};
  const pid_t reaper = _Fork();
  if (reaper < 0) return Errno("fork");
  if (reaper == 0) RunReaper(plan);

  in_read.Reset();
  out_write.Reset();
  rep_write.Reset();
  SpawnedJob job;
  job.reaper_ = reaper;
  SpawnReport first;
  if (!ReadReport(rep_read.get(), &first)) {
    job.ReapReaper();
    return Status::Internal("the job's reaper process exited before starting it");
  }
  if (first.kind != SpawnReport::kStarted) {  // the reaper could not fork
    const int error = first.error;
    SpawnReport rest;
    while (ReadReport(rep_read.get(), &rest)) {
    }
    job.ReapReaper();
    return Status::Unavailable(SpawnFailureText(spec, first.value, error));
  }
  job.job_ = first.value;
  for (const int fd : {out_read.get(), in_write.get(), rep_read.get()}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  job.output_ = std::move(out_read);
  job.input_ = std::move(in_write);
  job.reports_ = std::move(rep_read);
  return job;
}

std::string SpawnFailureText(const SpawnSpec& spec, std::int32_t stage, std::int32_t error) {
  const std::string why = gocompat::ErrnoText(error);
  const std::string user = spec.creds ? spec.creds->user : std::string();
  switch (stage) {
    case kStageFork:
      return "fork/exec " + spec.path + ": " + why;
    case kStageSetgroups:
      return "su " + user + ": setgroups: " + why;
    case kStageSetgid:
      return "su " + user + ": setgid: " + why;
    case kStageSetuid:
      return "su " + user + ": setuid: " + why;
    case kStageChdir:
      return "chdir " + spec.cwd + ": " + why;
    case kStageExec:
      return "fork/exec " + spec.path + ": " + why;
    default:
      return "starting " + spec.path + ": " + why;
  }
}

}  // namespace ckron::executor
