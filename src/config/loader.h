// Builds the agent's configuration from its four sources, highest first:
//
//   flag > env > file > default
//
// * flags: `ckron agent --rpc-port 7000 --tag a=1 --tag b=2`, already split
//   by the CLI into (key, text) pairs. Scalars: the last occurrence wins.
//   Lists and tags: every occurrence counts, each also split at commas.
// * env: CKRON_<KEY> or DKRON_<KEY> (upper-case, '-' -> '_'), CKRON_ winning;
//   empty values count as unset; lists split at commas and spaces. Other
//   CKRON_*/DKRON_* variables are ignored.
// * file: `--config FILE` (must exist), else the first of ckron.yml,
//   ckron.yaml, dkron.yml, dkron.yaml, dkron.json found in /etc/ckron,
//   /etc/dkron, $HOME/.dkron, ./config (directories in that order). YAML or
//   JSON; keys are the key names, matched case-insensitively; `tags:` is a
//   map; lists are YAML sequences or comma-separated strings. A key with a
//   null value counts as unset. Unknown keys are errors (Dkron ignores them).
// * defaults: AgentConfig's initialisers; node-name defaults to the host name.
//
// A source's value replaces (never merges with) lower sources' values of the
// same key, tags included.
//
// Thread safety: LoadAgentConfig is reentrant; it touches no global state
// (the process environment and file system come in through LoadInputs).
#ifndef CKRON_CONFIG_LOADER_H_
#define CKRON_CONFIG_LOADER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/agent_config.h"

namespace ckron::config {

enum class SourceKind : std::uint8_t { kDefault, kFile, kEnv, kFlag };

// "default", "file", "env", "flag".
std::string_view SourceKindName(SourceKind kind);

// Where a key's effective value came from.
struct Origin {
  SourceKind kind = SourceKind::kDefault;
  // kFlag: "--rpc-port"; kEnv: "CKRON_RPC_PORT"; kFile: the path; kDefault: "".
  std::string where;
  // kFile: the key as written in the file (it may differ in case).
  std::string file_key;
  // For messages: "--rpc-port", "env CKRON_RPC_PORT",
  // "file /etc/ckron/ckron.yml key rpc-port", "default".
  std::string Describe() const;
};

// One flag occurrence: `key` is the canonical key name (config/keys.h),
// `text` the value as typed ("true" for a bare boolean flag).
struct FlagValue {
  std::string key;
  std::string text;
};

// Read access to files, so that tests can use an in-memory map.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // The file's contents. kNotFound if it does not exist; kUnavailable if it
  // exists but cannot be read.
  virtual Result<std::string> ReadFile(const std::string& path) const = 0;
};

// The real file system. Never destroyed; safe for concurrent use.
const FileSystem& RealFileSystem();

struct LoadInputs {
  std::vector<FlagValue> flags;            // in command-line order
  std::map<std::string, std::string> env;  // the process environment (HOME too)
  std::string config_path;                 // --config; "" means search
  std::string hostname;                    // default node-name
  const FileSystem* fs = &RealFileSystem();
};

struct LoadedConfig {
  AgentConfig config;
  // Every key of the registry, by canonical name.
  std::map<std::string, Origin, std::less<>> origins;
  // The config file read; "" when none was found (that is not an error).
  std::string file;
  // Non-fatal remarks, e.g. a deprecated key in use. The agent logs them.
  std::vector<std::string> warnings;
};

// The candidate files, in search order, when no --config is given.
std::vector<std::string> ConfigSearchPaths(std::string_view home);

// Errors (kInvalidArgument): one line per problem found, each naming the key
// and where it came from, e.g.
//   --rpc-port: expected an integer 1-65535, got "abc"
//   env CKRON_PROFILE: expected one of lan, wan, local, got "moon"
//   file /etc/ckron/ckron.yml: unknown key "rpc_port" (did you mean rpc-port?)
// plus a missing or unreadable --config file, or a file that does not parse.
Result<LoadedConfig> LoadAgentConfig(const LoadInputs& inputs);

}  // namespace ckron::config

#endif  // CKRON_CONFIG_LOADER_H_
