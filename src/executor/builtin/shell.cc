#include "executor/builtin/shell.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/log.h"
#include "executor/builtin/go_compat.h"
#include "executor/builtin/job_monitor.h"
#include "executor/builtin/shell_config.h"
#include "executor/builtin/shellwords.h"
#include "executor/builtin/spawn.h"
#include "executor/output_ring.h"

extern char** environ;  // NOLINT: POSIX

namespace ckron::executor {
namespace {

// The agent's environment, then `env`, then ENV_JOB_NAME; a later entry
// replaces an earlier one with the same name (as Go's os/exec dedups).
std::vector<std::string> BuildEnvironment(const std::vector<std::string>& extra,
                                          const std::string& job_name) {
  std::vector<std::string> out;
  std::unordered_map<std::string, std::size_t> index;
  const auto add = [&](std::string entry) {
    const std::size_t eq = entry.find('=');
    if (eq == std::string::npos) return;
    std::string key = entry.substr(0, eq);
    auto [it, inserted] = index.try_emplace(std::move(key), out.size());
    if (inserted) {
      out.push_back(std::move(entry));
    } else {
      out[it->second] = std::move(entry);
    }
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) add(*e);
  for (const std::string& e : extra) add(e);
  add("ENV_JOB_NAME=" + job_name);
  return out;
}

std::string EnvValue(const std::vector<std::string>& env, std::string_view name) {
  for (const std::string& e : env) {
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
      return e.substr(name.size() + 1);
    }
  }
  return "";
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// Go's exec.LookPath, over the job's PATH (Go uses the agent's; the job's
// is the agent's unless `env` sets PATH). A name with a '/' is used as is
// (relative to `cwd`).
Result<std::string> LookPath(const std::string& file, const std::string& path_env) {
  if (file.find('/') != std::string::npos) return file;
  std::string_view dirs = path_env;
  while (true) {
    const std::size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + file;
    if (IsExecutableFile(candidate)) {
      if (dir[0] != '/') {
        return Status::InvalidArgument("exec: " + gocompat::Quote(file) +
                                       ": cannot run executable found relative to current "
                                       "directory");
      }
      return candidate;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Status::NotFound("exec: " + gocompat::Quote(file) +
                          ": executable file not found in $PATH");
}

bool HasNul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

// Everything needed to start the job, from its config; or the error text.
Result<SpawnSpec> PlanJob(const ShellConfig& cfg, const std::string& job_name) {
  SpawnSpec spec;
  if (cfg.use_shell) {
    spec.argv = {"/bin/sh", "-c", cfg.command};
  } else {
    CKRON_ASSIGN_OR_RETURN(spec.argv, SplitShellWords(cfg.command));
    if (spec.argv.empty()) return Status::InvalidArgument("shell: Command missing");
  }
  spec.env = BuildEnvironment(cfg.env, job_name);
  for (const std::string& e : spec.env) {
    if (HasNul(e)) return Status::InvalidArgument("exec: environment variable contains NUL");
  }
  spec.cwd = cfg.cwd;
  if (cfg.use_shell) {
    spec.path = "/bin/sh";
  } else {
    CKRON_ASSIGN_OR_RETURN(spec.path, LookPath(spec.argv[0], EnvValue(spec.env, "PATH")));
  }
  bool nul = HasNul(spec.path) || HasNul(spec.cwd);
  for (const std::string& a : spec.argv) nul = nul || HasNul(a);
  if (nul) return Status::InvalidArgument("fork/exec " + spec.path + ": invalid argument");
  if (cfg.su) {
    CKRON_ASSIGN_OR_RETURN(Credentials creds, ResolveCredentials(*cfg.su));
    // Not root but already this user (ResolveCredentials allowed it): no
    // switch is needed, and setgroups would fail.
    if (geteuid() != 0) return spec;
    spec.creds = std::move(creds);
  }
  return spec;
}

}  // namespace

ShellExecutor::ShellExecutor(ShellOptions options) : options_(options) {}

Status ShellExecutor::Validate(const ExecutorConfig& config) const {
  return ValidateShellConfig(config);
}

ExecuteResponse ShellExecutor::Execute(const ExecuteRequest& request, const OutputSink& sink,
                                       std::stop_token stop) {
  OutputRing ring;
  ExecuteResponse response;
  const auto emit = [&](std::string_view chunk) {
    if (sink) sink(chunk);
    ring.Write(chunk);
  };
  const auto fail = [&](std::string error) {
    response.error = std::move(error);
    response.output = ring.Contents();
    return std::move(response);
  };

  Result<ShellConfig> cfg = ParseShellConfig(request.config);
  if (!cfg.ok()) return fail(cfg.status().message());
  Result<SpawnSpec> spec = PlanJob(*cfg, request.job_name.value());
  if (!spec.ok()) return fail(spec.status().message());
  spec->kill_leftovers = options_.kill_leftovers;
  if (stop.stop_requested()) return fail("shell: Job '" + cfg->command + "' was cancelled");

  auto log = logging::Get("executor");
  log->debug("shell: going to run {} (job {}, execution {})", cfg->command,
             request.job_name.value(), request.execution_id.value());
  Result<SpawnedJob> job = Spawn(*spec);
  if (!job.ok()) return fail(job.status().message());

  MonitorSpec monitor{cfg->command, std::move(cfg->payload), cfg->timeout, cfg->mem_limit,
                      options_};
  const MonitorOutcome outcome = MonitorJob(*job, monitor, emit, stop);

  if (outcome.start_failure) {
    response.error =
        SpawnFailureText(*spec, outcome.start_failure->value, outcome.start_failure->error);
  } else if (outcome.wait_status) {
    response.error = gocompat::WaitStatusText(*outcome.wait_status);
    if (WIFEXITED(*outcome.wait_status)) response.exit_code = WEXITSTATUS(*outcome.wait_status);
  } else {
    response.error = "shell: lost track of the job's process";
  }
  if (response.error.empty() && outcome.cancelled) response.error = "shell: Job was cancelled";
  if (!response.error.empty()) {
    log->debug("shell: Job '{}' execution failed with error: {}", cfg->command, response.error);
  }
  if (ring.truncated()) {
    log->debug("shell: Script '{}' generated {} bytes of output, truncated to {}", cfg->command,
               ring.total_written(), ring.capacity());
  }
  response.output = ring.Contents();
  return response;
}

}  // namespace ckron::executor
