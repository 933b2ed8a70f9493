#include "executor/builtin/job_monitor.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <initializer_list>

#include "common/go_duration.h"
#include "executor/builtin/proc_tree.h"

namespace ckron::executor {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// How often, after the job exited, what it left is killed again until the
// reaper has reaped everything (a leftover may fork while being killed).
constexpr auto kRekillInterval = std::chrono::milliseconds(100);
// Most output read per loop turn, so a flood cannot starve the deadlines.
constexpr int kMaxReadsPerTurn = 16;

std::chrono::nanoseconds ToChrono(absl::Duration d) {
  // Capped so that now + d cannot overflow.
  return absl::ToChronoNanoseconds(std::min(d, absl::Hours(24 * 365 * 100)));
}

// poll(2)'s timeout until the earliest deadline; -1 for none.
int PollTimeoutMs(TimePoint now, std::initializer_list<std::optional<TimePoint>> deadlines) {
  std::optional<TimePoint> first;
  for (const auto& d : deadlines) {
    if (d && (!first || *d < *first)) first = d;
  }
  if (!first) return -1;
  if (*first <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*first - now).count();
  return static_cast<int>(std::min<std::int64_t>(ms, 60'000));
}

// write(2) that cannot raise SIGPIPE in this process when the job has
// closed its stdin: the signal is blocked in this thread and a pending one
// consumed.
ssize_t WriteNoSigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const ssize_t n = write(fd, data, size);
  const int err = errno;
  if (n < 0 && err == EPIPE) {
    const timespec zero{};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = err;
  return n;
}

}  // namespace

MonitorOutcome MonitorJob(SpawnedJob& job, const MonitorSpec& spec,
                          const std::function<void(std::string_view)>& emit, std::stop_token stop) {
  MonitorOutcome out;
  const ShellOptions& opt = spec.options;
  const TimePoint start = SteadyClock::now();
  std::optional<TimePoint> timeout_at, mem_check_at, kill_at, finish_by, rekill_at;
  if (spec.timeout) timeout_at = start + ToChrono(*spec.timeout);
  if (spec.mem_limit > 0) mem_check_at = start + ToChrono(opt.mem_poll_interval);
  std::uint64_t mem_used = 0;

  // Declared before the callback so it outlives it: a stop request from
  // another thread wakes poll() through it.
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  std::stop_callback on_stop(stop, [fd = wake.get()] {
    const std::uint64_t one = 1;
    if (fd >= 0) {
      [[maybe_unused]] const ssize_t n = write(fd, &one, sizeof one);
    }
  });

  std::size_t payload_written = 0;
  if (spec.payload.empty()) job.input().Reset();  // stdin at EOF
  bool exited = false, reports_eof = false, output_eof = false;
  std::string report_bytes;
  std::string buf(64 * 1024, '\0');

  while (!(reports_eof && output_eof)) {
    const TimePoint now = SteadyClock::now();
    if (!exited) {
      if (timeout_at && now >= *timeout_at) {
        timeout_at.reset();
        out.timed_out = true;
        job.SignalAll(SIGKILL);
      }
      if (mem_check_at && now >= *mem_check_at) {
        mem_used = TotalRss(Descendants(job.reaper_pid()));
        if (mem_used > static_cast<std::uint64_t>(spec.mem_limit)) {
          mem_check_at.reset();
          out.mem_exceeded = true;
          job.SignalAll(SIGKILL);
        } else {
          mem_check_at = now + ToChrono(opt.mem_poll_interval);
        }
      }
      if (!out.cancelled && stop.stop_requested()) {
        out.cancelled = true;
        job.SignalAll(SIGTERM);
        kill_at = now + ToChrono(opt.cancel_grace);
      }
      if (kill_at && now >= *kill_at) {
        kill_at.reset();
        job.SignalAll(SIGKILL);
      }
    } else {
      if (finish_by && now >= *finish_by) break;  // leftovers outlived the bound
      if (rekill_at && now >= *rekill_at) {
        job.SignalDescendants(SIGKILL);
        rekill_at = now + kRekillInterval;
      }
    }

    pollfd fds[4];
    nfds_t count = 0;
    const auto add = [&](int fd, short events) -> pollfd* {
      if (fd < 0) return nullptr;
      fds[count] = {fd, events, 0};
      return &fds[count++];
    };
    pollfd* p_wake = add(wake.get(), POLLIN);
    pollfd* p_out = output_eof ? nullptr : add(job.output().get(), POLLIN);
    pollfd* p_in = add(job.input().get(), POLLOUT);
    pollfd* p_rep = reports_eof ? nullptr : add(job.reports().get(), POLLIN);
    int wait_ms = exited ? PollTimeoutMs(now, {finish_by, rekill_at})
                         : PollTimeoutMs(now, {timeout_at, mem_check_at, kill_at});
    if (!wake) wait_ms = wait_ms < 0 ? 100 : std::min(wait_ms, 100);  // no eventfd: tick
    if (poll(fds, count, wait_ms) < 0 && errno != EINTR) break;

    if (p_wake != nullptr && p_wake->revents != 0) {
      std::uint64_t drained = 0;
      [[maybe_unused]] const ssize_t n = read(wake.get(), &drained, sizeof drained);
    }
    if (p_out != nullptr && p_out->revents != 0) {
      for (int i = 0; i < kMaxReadsPerTurn; ++i) {
        const ssize_t n = read(job.output().get(), buf.data(), buf.size());
        if (n > 0) {
          emit(std::string_view(buf.data(), static_cast<std::size_t>(n)));
          continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) output_eof = true;
        break;
      }
    }
    if (p_in != nullptr && p_in->revents != 0) {
      const ssize_t n = WriteNoSigpipe(job.input().get(), spec.payload.data() + payload_written,
                                       spec.payload.size() - payload_written);
      if (n > 0) payload_written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || payload_written == spec.payload.size()) {
        job.input().Reset();  // done, or the job closed its stdin
      }
    }
    if (p_rep != nullptr && p_rep->revents != 0) {
      char chunk[256];
      ssize_t n;
      while ((n = read(job.reports().get(), chunk, sizeof chunk)) > 0) {
        report_bytes.append(chunk, static_cast<std::size_t>(n));
      }
      while (report_bytes.size() >= sizeof(SpawnReport)) {
        SpawnReport r;
        std::copy_n(report_bytes.data(), sizeof r, reinterpret_cast<char*>(&r));
        report_bytes.erase(0, sizeof r);
        if (r.kind == SpawnReport::kFailed) {
          out.start_failure = r;
        } else if (r.kind == SpawnReport::kExited && !exited) {
          exited = true;
          out.wait_status = r.value;
          finish_by = SteadyClock::now() + ToChrono(opt.drain_timeout);
          if (opt.kill_leftovers) {
            job.SignalDescendants(SIGKILL);
            rekill_at = SteadyClock::now() + kRekillInterval;
          }
        }
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        reports_eof = true;
        job.ReapReaper();
        if (!exited) {  // the reaper died first: nothing more will come
          exited = true;
          finish_by = SteadyClock::now() + ToChrono(opt.drain_timeout);
        }
        rekill_at.reset();
      }
    }
  }

  if (out.timed_out) {
    emit("shell: Job '" + spec.command + "' execution time exceeding defined timeout " +
         FormatGoDuration(*spec.timeout) + ". Job was killed");
  }
  if (out.mem_exceeded) {
    emit("shell: Job '" + spec.command + "' memory usage (" + std::to_string(mem_used) +
         " bytes) exceeding defined limit (" + std::to_string(spec.mem_limit) +
         " bytes). Job was killed");
  }
  if (out.cancelled) emit("shell: Job '" + spec.command + "' was cancelled. Job was stopped");
  return out;
}

}  // namespace ckron::executor
