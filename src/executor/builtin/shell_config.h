// The shell executor's `executor_config` (dkron-spec §5.1), parsed: every
// key Dkron has, read the way Dkron reads it, with its error messages.
//
// Thread safety: pure functions.
#ifndef CKRON_EXECUTOR_BUILTIN_SHELL_CONFIG_H_
#define CKRON_EXECUTOR_BUILTIN_SHELL_CONFIG_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/status.h"
#include "executor/executor.h"

namespace ckron::executor {

// `env`: "K=V,K2=V2", split on ',' (so a value cannot hold a comma — as in
// Dkron). Empty items are dropped; so are items without '=' (they cannot
// name a variable). Never fails.
std::vector<std::string> ParseEnvList(std::string_view env);

// `mem_limit`: bytes ("1048576") or a number and a unit, B/BYTES, K/KB,
// M/MB, G/GB, T/TB, case-insensitive, 1024-based; decimals allowed with a
// unit ("1.5GB"). Dkron's parser (plugin/shell/shell.go parseMemoryLimit)
// and messages: "memory limit must be greater than 0", "invalid memory limit
// format: X", "invalid numeric value in memory limit: X", "unsupported
// memory unit: X (supported: B, KB, MB, GB, TB)", "memory limit too large
// or causes overflow". Empty means no limit: returns 0.
Result<std::int64_t> ParseMemLimit(std::string_view text);

// `payload`: standard base64 with padding (Go's base64.StdEncoding; CR and
// LF are ignored). Error: "illegal base64 data at input byte N".
Result<std::string> DecodeBase64(std::string_view text);

// `su`: "user" or "user:group".
struct SuSpec {
  std::string user;
  std::optional<std::string> group;
};
SuSpec ParseSu(std::string_view su);

// Who the job runs as, resolved from `su` on the executing node.
struct Credentials {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (the user's, as initgroups)
  std::string user;
};

// Looks up the user (and group) in the node's user database. Errors
// (kInvalidArgument): "user: unknown user X", "group: unknown group X" (Go's
// os/user messages), or kFailedPrecondition when ckron is not root and
// `su` names someone else: only root can switch users.
Result<Credentials> ResolveCredentials(const SuSpec& su);

struct ShellConfig {
  std::string command;                    // `command`
  bool use_shell = false;                 // `shell`: Go's ParseBool; anything else is false
  std::vector<std::string> env;           // `env`, parsed
  std::string cwd;                        // `cwd`; empty: the agent's working directory
  std::optional<absl::Duration> timeout;  // `timeout`; unset or zero: none
  std::int64_t mem_limit = 0;             // `mem_limit` in bytes; 0: none
  std::optional<SuSpec> su;               // `su`
  std::string payload;                    // `payload`, decoded: written to stdin
};

// Parses every key. Errors (kInvalidArgument) carry the messages Dkron's
// shell executor returns: "shell: Error parsing job timeout",
// "shell: Error parsing job memory limit: <why>", a base64 error for
// `payload`.
Result<ShellConfig> ParseShellConfig(const ExecutorConfig& config);

// What the API checks when a job is stored (dkron/job.go Validate): errors
// "Error parsing job timeout value", "Error parsing job memory limit value:
// <why>".
Status ValidateShellConfig(const ExecutorConfig& config);

}  // namespace ckron::executor

#endif  // CKRON_EXECUTOR_BUILTIN_SHELL_CONFIG_H_
