#include "executor/builtin/proc_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ckron::executor {
namespace {

// Reads /proc/<pid>/stat. Fields after the command name (which may hold
// spaces and parentheses, so it ends at the *last* ')'): 3 state, 4 ppid,
// ..., 24 rss (pages).
bool ReadStat(pid_t pid, ProcInfo* info) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  const std::string_view stat(buf, static_cast<std::size_t>(n));
  const std::size_t close_paren = stat.rfind(')');
  if (close_paren == std::string_view::npos) return false;
  std::string_view rest = stat.substr(close_paren + 1);
  // rest = " S ppid pgrp session tty tpgid flags minflt cminflt majflt
  //          cmajflt utime stime cutime cstime priority nice threads
  //          itrealvalue starttime vsize rss ..." -> fields 3..24.
  std::string_view fields[22];
  int count = 0;
  while (count < 22) {
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const std::size_t end = rest.find(' ');
    fields[count++] = rest.substr(0, end);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  if (count < 22) return false;
  info->pid = pid;
  info->zombie = fields[0] == "Z" || fields[0] == "X";
  info->ppid = static_cast<pid_t>(std::strtol(std::string(fields[1]).c_str(), nullptr, 10));
  const long pages = std::strtol(std::string(fields[21]).c_str(), nullptr, 10);
  static const long page_size = sysconf(_SC_PAGESIZE);
  info->rss_bytes =
      pages > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size) : 0;
  return true;
}

}  // namespace

std::vector<ProcInfo> Descendants(pid_t root) {
  std::unordered_multimap<pid_t, ProcInfo> by_parent;
  if (DIR* dir = opendir("/proc")) {
    while (const dirent* entry = readdir(dir)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      ProcInfo info;
      if (ReadStat(static_cast<pid_t>(pid), &info)) by_parent.emplace(info.ppid, info);
    }
    closedir(dir);
  }
  std::vector<ProcInfo> out;
  std::vector<pid_t> frontier = {root};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    auto [begin, end] = by_parent.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      out.push_back(it->second);
      frontier.push_back(it->second.pid);
    }
  }
  return out;
}

std::uint64_t TotalRss(const std::vector<ProcInfo>& procs) {
  std::uint64_t total = 0;
  for (const ProcInfo& p : procs) total += p.rss_bytes;
  return total;
}

}  // namespace ckron::executor
