// `ckron leave --rpc-addr ADDR`: asks a running agent to leave the cluster
// gracefully and shut down (its process exits 0).
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "rpc/admin_client.h"

namespace ckron::cli {

std::vector<Command> AddLeaveCommand(CLI::App& root) {
  CLI::App* app =
      root.add_subcommand("leave", "Ask an agent to leave the cluster gracefully and shut down");
  auto rpc_addr = std::make_shared<std::string>("{{ GetPrivateIP }}:6868");
  app->add_option("--rpc-addr", *rpc_addr, "gRPC address of the agent")
      ->type_name("ADDR")
      ->capture_default_str();
  auto run = [app, rpc_addr]() -> int {
    const RpcAddr addr = ResolveRpcAddr(*rpc_addr);
    if (addr.exit_code == kExitUsage) return UsageError(*app, addr.error);
    if (addr.exit_code != kExitOk) return Failure(addr.error);
    if (Status s = rpc::RequestLeave(addr.address); !s.ok()) return Failure(s.message());
    std::cout << "The agent at " << addr.address << " is leaving the cluster and shutting down\n";
    return kExitOk;
  };
  return {{app, run}};
}

}  // namespace ckron::cli
