// `ckron hash-secret`: the hashed form of a password or API token for the
// auth-users / auth-tokens keys (docs/operations.md "Security"). Reads the
// secret from standard input (its first line, without the line break, so
// `echo "$PW" | ckron hash-secret` works and the secret never appears in
// the process list or shell history) and prints
// pbkdf2-sha256$<iterations>$<salt>$<hash> (common/secret_hash.h).
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "common/secret_hash.h"

namespace ckron::cli {

std::vector<Command> AddHashSecretCommand(CLI::App& root) {
  CLI::App* app = root.add_subcommand(
      "hash-secret",
      "Hash a password or API token read from stdin, for auth-users / auth-tokens "
      "(name:<printed hash>)");
  auto iterations = std::make_shared<std::uint32_t>(SecretHash::kDefaultIterations);
  app->add_option("--iterations", *iterations,
                  "PBKDF2-SHA256 iterations: more is slower to check and to brute-force")
      ->capture_default_str();
  auto run = [app, iterations]() -> int {
    if (*iterations < SecretHash::kMinIterations || *iterations > SecretHash::kMaxIterations) {
      return UsageError(*app, "--iterations: expected an integer " +
                                  std::to_string(SecretHash::kMinIterations) + "-" +
                                  std::to_string(SecretHash::kMaxIterations) + ", got " +
                                  std::to_string(*iterations));
    }
    std::string secret;
    std::getline(std::cin, secret);
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (secret.empty()) {
      return UsageError(*app, "stdin: expected the secret on the first line, got nothing");
    }
    auto hash = SecretHash::Make(secret, *iterations);
    if (!hash.ok()) return Failure(hash.status().message());
    std::cout << hash->ToString() << "\n";
    return kExitOk;
  };
  return {{app, run}};
}

}  // namespace ckron::cli
