// `ckron version`: the same four lines as `dkron version`.
#include <iostream>

#include "cli/commands.h"
#include "node/version.h"

namespace ckron::cli {

std::vector<Command> AddVersionCommand(CLI::App& root) {
  CLI::App* app = root.add_subcommand("version", "Show the version");
  auto run = []() -> int {
    std::cout << "Name: " << node::kName << "\n"
              << "Version: " << node::Version() << "\n"
              << "Codename: " << node::kCodename << "\n"
              << "Agent Protocol: " << node::kGossipProtocolMax
              << " (Understands back to: " << node::kGossipProtocolMin << ")\n";
    return kExitOk;
  };
  return {{app, run}};
}

}  // namespace ckron::cli
