// `ckron keygen`: a gossip encryption key. 32 random bytes (AES-256), base64
// encoded: what `serf keygen` prints and `serf agent -encrypt` / `ckron agent
// --encrypt` accept. (Dkron's keygen makes 16 bytes; both sizes work.)
#include <openssl/rand.h>

#include <array>
#include <iostream>

#include "cli/commands.h"
#include "config/base64.h"

namespace ckron::cli {

std::vector<Command> AddKeygenCommand(CLI::App& root) {
  CLI::App* app = root.add_subcommand(
      "keygen", "Generate a gossip encryption key (base64 of 32 random bytes) for --encrypt");
  auto run = []() -> int {
    std::array<unsigned char, 32> key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
      return Failure("cannot read enough random bytes (OpenSSL RAND_bytes failed)");
    }
    std::cout << config::Base64Encode(key) << "\n";
    return kExitOk;
  };
  return {{app, run}};
}

}  // namespace ckron::cli
