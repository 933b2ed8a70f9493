#include "executor/builtin/shell_config.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "absl/strings/ascii.h"
#include "common/go_duration.h"
#include "executor/builtin/go_compat.h"

namespace ckron::executor {
namespace {

std::string Get(const ExecutorConfig& config, const std::string& key) {
  auto it = config.find(key);
  return it == config.end() ? std::string() : it->second;
}

Status MemLimitError(std::string message) {
  return Status::InvalidArgument(std::move(message));
}

}  // namespace

std::vector<std::string> ParseEnvList(std::string_view env) {
  std::vector<std::string> out;
  while (true) {
    const std::size_t comma = env.find(',');
    const std::string_view item = env.substr(0, comma);
    if (item.find('=') != std::string_view::npos) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    env.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::int64_t> ParseMemLimit(std::string_view text) {
  if (text.empty()) return std::int64_t{0};
  // A plain integer is a byte count.
  if (Result<std::int64_t> bytes = gocompat::Atoi(text); bytes.ok()) {
    if (*bytes <= 0) return MemLimitError("memory limit must be greater than 0");
    return *bytes;
  }
  const std::string limit = absl::AsciiStrToUpper(std::string(gocompat::TrimSpace(text)));
  std::size_t i = 0;
  while (i < limit.size() && ((limit[i] >= '0' && limit[i] <= '9') || limit[i] == '.')) ++i;
  if (i == 0) return MemLimitError("invalid memory limit format: " + limit);
  const std::string number = limit.substr(0, i);
  const std::string unit = limit.substr(i);

  // Digits and dots: valid when there is one dot at most and a digit.
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size()) {
    return MemLimitError("invalid numeric value in memory limit: " + number);
  }
  if (value <= 0) return MemLimitError("memory limit must be greater than 0");

  double multiplier = 0;
  if (unit.empty() || unit == "B" || unit == "BYTES") {
    multiplier = 1;
  } else if (unit == "KB" || unit == "K") {
    multiplier = 1024.0;
  } else if (unit == "MB" || unit == "M") {
    multiplier = 1024.0 * 1024;
  } else if (unit == "GB" || unit == "G") {
    multiplier = 1024.0 * 1024 * 1024;
  } else if (unit == "TB" || unit == "T") {
    multiplier = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return MemLimitError("unsupported memory unit: " + unit + " (supported: B, KB, MB, GB, TB)");
  }
  const double bytes = value * multiplier;
  // 2^63: int64 cannot hold it (Go's conversion then yields a negative).
  if (!(bytes < 9223372036854775808.0) || static_cast<std::int64_t>(bytes) <= 0) {
    return MemLimitError("memory limit too large or causes overflow");
  }
  return static_cast<std::int64_t>(bytes);
}

Result<std::string> DecodeBase64(std::string_view text) {
  const auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  const auto illegal = [](std::size_t at) {
    return Status::InvalidArgument("illegal base64 data at input byte " + std::to_string(at));
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t quantum = 0;
  int have = 0;                // sextets in `quantum`
  int padding = 0;             // '=' seen so far (then only '=' and CR/LF may follow)
  std::size_t quantum_at = 0;  // where the current quantum began (Go reports it)
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (have == 0 && padding == 0) quantum_at = i;
    if (c == '=') {
      // Padding completes a quantum of 2 or 3 sextets: "xx==" or "xxx=".
      if (have + padding < 2 || have + padding >= 4) return illegal(i);
      ++padding;
      continue;
    }
    const int v = value_of(c);
    if (v < 0 || padding > 0) return illegal(i);
    quantum = (quantum << 6) | static_cast<std::uint32_t>(v);
    if (++have == 4) {
      out.push_back(static_cast<char>(quantum >> 16));
      out.push_back(static_cast<char>(quantum >> 8));
      out.push_back(static_cast<char>(quantum));
      quantum = 0;
      have = 0;
    }
  }
  if (padding > 0) {
    if (have + padding != 4) return illegal(quantum_at);
    if (have == 2) {
      out.push_back(static_cast<char>(quantum >> 4));
    } else {  // have == 3
      out.push_back(static_cast<char>(quantum >> 10));
      out.push_back(static_cast<char>(quantum >> 2));
    }
  } else if (have != 0) {
    return illegal(quantum_at);
  }
  return out;
}

SuSpec ParseSu(std::string_view su) {
  SuSpec spec;
  const std::size_t colon = su.find(':');
  spec.user = std::string(su.substr(0, colon));
  if (colon != std::string_view::npos) spec.group = std::string(su.substr(colon + 1));
  return spec;
}

Result<Credentials> ResolveCredentials(const SuSpec& su) {
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::string buf(size > 0 ? static_cast<std::size_t>(size) : 16384, '\0');
  passwd pw{};
  passwd* found = nullptr;
  int err = 0;
  while ((err = getpwnam_r(su.user.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE) {
    buf.resize(buf.size() * 2);
  }
  if (found == nullptr) return Status::InvalidArgument("user: unknown user " + su.user);
  Credentials creds;
  creds.user = su.user;
  creds.uid = pw.pw_uid;
  creds.gid = pw.pw_gid;
  if (su.group) {
    size = sysconf(_SC_GETGR_R_SIZE_MAX);
    std::string gbuf(size > 0 ? static_cast<std::size_t>(size) : 16384, '\0');
    group gr{};
    group* gfound = nullptr;
    while ((err = getgrnam_r(su.group->c_str(), &gr, gbuf.data(), gbuf.size(), &gfound)) ==
           ERANGE) {
      gbuf.resize(gbuf.size() * 2);
    }
    if (gfound == nullptr) return Status::InvalidArgument("group: unknown group " + *su.group);
    creds.gid = gr.gr_gid;
  }
  // The user's supplementary groups, as initgroups() would set them.
  int n = 32;
  creds.groups.resize(static_cast<std::size_t>(n));
  while (getgrouplist(su.user.c_str(), creds.gid, creds.groups.data(), &n) < 0) {
    creds.groups.resize(static_cast<std::size_t>(n) * 2);
    n = static_cast<int>(creds.groups.size());
  }
  creds.groups.resize(static_cast<std::size_t>(n));

  if (geteuid() != 0 && (creds.uid != geteuid() || creds.gid != getegid())) {
    return Status::FailedPrecondition("su " + gocompat::Quote(su.user) +
                                      ": switching users needs root, and ckron runs as uid " +
                                      std::to_string(geteuid()));
  }
  return creds;
}

Result<ShellConfig> ParseShellConfig(const ExecutorConfig& config) {
  ShellConfig out;
  out.command = Get(config, "command");
  out.use_shell = gocompat::ParseBool(Get(config, "shell")).value_or(false);
  out.env = ParseEnvList(Get(config, "env"));
  out.cwd = Get(config, "cwd");
  if (const std::string su = Get(config, "su"); !su.empty()) out.su = ParseSu(su);

  CKRON_ASSIGN_OR_RETURN(out.payload, DecodeBase64(Get(config, "payload")));
  if (const std::string timeout = Get(config, "timeout"); !timeout.empty()) {
    Result<absl::Duration> d = ParseGoDuration(timeout);
    if (!d.ok()) return Status::InvalidArgument("shell: Error parsing job timeout");
    if (*d != absl::ZeroDuration()) out.timeout = *d;
  }
  Result<std::int64_t> mem = ParseMemLimit(Get(config, "mem_limit"));
  if (!mem.ok()) {
    return Status::InvalidArgument("shell: Error parsing job memory limit: " +
                                   mem.status().message());
  }
  out.mem_limit = *mem;
  return out;
}

Status ValidateShellConfig(const ExecutorConfig& config) {
  if (const std::string timeout = Get(config, "timeout"); !timeout.empty()) {
    if (!ParseGoDuration(timeout).ok()) {
      return Status::InvalidArgument("Error parsing job timeout value");
    }
  }
  if (Result<std::int64_t> mem = ParseMemLimit(Get(config, "mem_limit")); !mem.ok()) {
    return Status::InvalidArgument("Error parsing job memory limit value: " +
                                   mem.status().message());
  }
  return OkStatus();
}

}  // namespace ckron::executor
