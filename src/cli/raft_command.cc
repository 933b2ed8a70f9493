// `ckron raft list-peers` and `ckron raft remove-peer`: calls to the
// RaftAdmin service of a server agent.
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/peer_table.h"
#include "rpc/admin_client.h"

namespace ckron::cli {
namespace {

std::shared_ptr<std::string> AddRpcAddr(CLI::App* app) {
  auto rpc_addr = std::make_shared<std::string>("{{ GetPrivateIP }}:6868");
  app->add_option("--rpc-addr", *rpc_addr, "gRPC address of the agent")
      ->type_name("ADDR")
      ->capture_default_str();
  return rpc_addr;
}

}  // namespace

std::vector<Command> AddRaftCommands(CLI::App& root) {
  CLI::App* raft = root.add_subcommand("raft", "Inspect and change the Raft configuration");
  raft->require_subcommand(1);

  CLI::App* list = raft->add_subcommand("list-peers", "List the Raft peers of the cluster");
  auto list_addr = AddRpcAddr(list);
  auto run_list = [list, list_addr]() -> int {
    const RpcAddr addr = ResolveRpcAddr(*list_addr);
    if (addr.exit_code == kExitUsage) return UsageError(*list, addr.error);
    if (addr.exit_code != kExitOk) return Failure(addr.error);
    auto peers = rpc::ListRaftPeers(addr.address);
    if (!peers.ok()) return Failure(peers.status().message());
    std::cout << FormatPeerTable(*peers);
    return kExitOk;
  };

  CLI::App* remove = raft->add_subcommand(
      "remove-peer", "Remove a server from the Raft configuration by its Raft ID");
  auto remove_addr = AddRpcAddr(remove);
  auto peer_id = std::make_shared<std::string>();
  remove->add_option("--peer-id", *peer_id, "Raft ID of the server to remove")
      ->type_name("ID")
      ->required();
  auto run_remove = [remove, remove_addr, peer_id]() -> int {
    const RpcAddr addr = ResolveRpcAddr(*remove_addr);
    if (addr.exit_code == kExitUsage) return UsageError(*remove, addr.error);
    if (addr.exit_code != kExitOk) return Failure(addr.error);
    if (Status s = rpc::RemoveRaftPeer(addr.address, *peer_id); !s.ok()) {
      return Failure(s.message());
    }
    std::cout << "Peer " << *peer_id << " removed\n";
    return kExitOk;
  };
  return {{list, run_list}, {remove, run_remove}};
}

}  // namespace ckron::cli
