#include <iostream>

#include "cli/commands.h"
#include "config/sockaddr_template.h"
#include "node/signals.h"

namespace ckron::cli {
namespace {

// The deepest subcommand that was parsed (for "Run '... --help'" hints).
const CLI::App* Deepest(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return Deepest(*sub);
  return &app;
}

std::string CommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) {
    path = p->get_name() + " " + path;
  }
  return path;
}

}  // namespace

int UsageError(const CLI::App& app, std::string_view message) {
  std::cerr << "ckron: " << message << "\nRun '" << CommandPath(app) << " --help' for usage.\n";
  return kExitUsage;
}

int Failure(std::string_view message) {
  std::cerr << "ckron: " << message << "\n";
  return kExitFailure;
}

RpcAddr ResolveRpcAddr(const std::string& value) {
  if (Status s = config::CheckAddress(value); !s.ok() || value.empty()) {
    return {"",
            "--rpc-addr: expected host:port or a go-sockaddr template, got \"" + value + "\"" +
                (s.ok() ? "" : ": " + s.message()),
            kExitUsage};
  }
  std::string address = value;
  if (config::IsTemplate(value)) {
    auto interfaces = config::ListInterfaceAddresses();
    if (!interfaces.ok()) return {"", interfaces.status().message(), kExitFailure};
    auto expanded = config::ExpandTemplates(value, *interfaces);
    if (!expanded.ok()) return {"", "--rpc-addr: " + expanded.status().message(), kExitFailure};
    address = *expanded;
  }
  auto hp = config::SplitHostPort(address);
  if (!hp.ok() || !hp->port) {
    return {"", "--rpc-addr: expected host:port, got \"" + value + "\"", kExitUsage};
  }
  if (hp->host.empty()) address = config::JoinHostPort("127.0.0.1", *hp->port);
  return {address, "", kExitOk};
}

int Main(int argc, char** argv) {
  CLI::App app(
      "ckron: a distributed, fault-tolerant job scheduler (cron for a fleet), drop-in "
      "for Dkron",
      "ckron");
  app.require_subcommand(1);
  app.get_formatter()->column_width(36);
  std::vector<Command> commands;
  for (auto add : {AddAgentCommand, AddKeygenCommand, AddHashSecretCommand, AddLeaveCommand,
                   AddRaftCommands, AddScheduleCommands, AddVersionCommand}) {
    auto more = add(app);
    commands.insert(commands.end(), more.begin(), more.end());
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return UsageError(*Deepest(app), e.what());
  }
  for (const Command& c : commands) {
    if (c.app->parsed() && c.app->get_subcommands().empty()) {
      if (!c.handles_signals) node::UnblockShutdownSignals();
      return c.run();
    }
  }
  return UsageError(*Deepest(app), "a subcommand is required");
}

}  // namespace ckron::cli
