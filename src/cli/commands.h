// The `ckron` command line (CLI11). Each subcommand registers its options on
// the root app and returns how to run it once parsing has picked it.
//
// Exit codes, for every command:
//   0  success (and --help)
//   1  runtime failure (agent cannot start, agent unreachable, ...)
//   2  usage or configuration error (unknown flag, bad value, ...)
//
// Thread safety: everything here runs on the main thread.
#ifndef CKRON_CLI_COMMANDS_H_
#define CKRON_CLI_COMMANDS_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"

namespace ckron::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Command {
  CLI::App* app;             // the (sub)command's app, owned by the root
  std::function<int()> run;  // returns the exit code
  // True for the long-running agent, which handles SIGINT/SIGTERM/SIGHUP on
  // its own signal thread; other commands get the default signal behaviour
  // back (main() blocks the signals before anything runs).
  bool handles_signals = false;
};

// Each adds its subcommand(s) to `root`.
std::vector<Command> AddAgentCommand(CLI::App& root);
std::vector<Command> AddKeygenCommand(CLI::App& root);
std::vector<Command> AddHashSecretCommand(CLI::App& root);
std::vector<Command> AddVersionCommand(CLI::App& root);
std::vector<Command> AddLeaveCommand(CLI::App& root);
std::vector<Command> AddRaftCommands(CLI::App& root);
std::vector<Command> AddScheduleCommands(CLI::App& root);

// Parses argv and runs the chosen command; returns the exit code.
int Main(int argc, char** argv);

// Prints "ckron: <message>" and a usage hint to stderr; returns kExitUsage.
int UsageError(const CLI::App& app, std::string_view message);
// Prints "ckron: <message>" to stderr; returns kExitFailure.
int Failure(std::string_view message);

// Resolves an --rpc-addr value (host:port or a go-sockaddr template such as
// the default "{{ GetPrivateIP }}:6868") to the address to dial.
// Errors: kInvalidArgument for a malformed value (usage error), others when
// the template finds no address (runtime failure).
struct RpcAddr {
  std::string address;
  std::string error;
  int exit_code = kExitOk;
};
RpcAddr ResolveRpcAddr(const std::string& value);

}  // namespace ckron::cli

#endif  // CKRON_CLI_COMMANDS_H_
