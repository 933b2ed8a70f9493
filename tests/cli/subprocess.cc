#include "subprocess.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace ckron::testing {

std::unique_ptr<Subprocess> Subprocess::Start(const std::vector<std::string>& argv, const Env& env,
                                              const std::string& cwd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) std::abort();
  // Build everything the child needs before fork: only async-signal-safe
  // calls after it.
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> cargv, cenv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (std::string& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    const int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->pid_ = pid;
  p->reader_ = std::thread([raw = p.get(), o = out[0], e = err[0]] { raw->ReadLoop(o, e); });
  return p;
}

Subprocess::~Subprocess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    WaitExit(milliseconds(10000));
  }
  if (reader_.joinable()) reader_.join();
}

void Subprocess::ReadLoop(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      std::lock_guard lock(mu_);
      (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
      cv_.notify_all();
    }
  }
  std::lock_guard lock(mu_);
  eof_ = true;
  cv_.notify_all();
}

std::string Subprocess::Stdout() const {
  std::lock_guard lock(mu_);
  return out_;
}

std::string Subprocess::Stderr() const {
  std::lock_guard lock(mu_);
  return err_;
}

bool Subprocess::WaitForOutput(
    const std::function<bool(const std::string&, const std::string&)>& pred, milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(out_, err_) || eof_; }) && pred(out_, err_);
}

bool Subprocess::WaitForText(const std::string& needle, milliseconds timeout) {
  return WaitForOutput(
      [&](const std::string& o, const std::string& e) {
        return o.find(needle) != std::string::npos || e.find(needle) != std::string::npos;
      },
      timeout);
}

bool Subprocess::Running() {
  if (status_) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return r == 0;
}

std::optional<int> Subprocess::WaitExit(milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(5));  // polling waitpid, bounded by the deadline
  }
  if (reader_.joinable()) reader_.join();  // the output is complete once both pipes close
  return status_;
}

void Subprocess::Signal(int signo) {
  if (!status_) kill(pid_, signo);
}

RunResult Run(const std::vector<std::string>& argv, const Env& env, const std::string& cwd,
              milliseconds timeout) {
  auto p = Subprocess::Start(argv, env, cwd);
  RunResult r;
  auto code = p->WaitExit(timeout);
  if (!code) {
    p->Signal(SIGKILL);
    p->WaitExit(milliseconds(10000));
  }
  r.exit_code = code.value_or(-1);
  r.out = p->Stdout();
  r.err = p->Stderr();
  return r;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace ckron::testing
