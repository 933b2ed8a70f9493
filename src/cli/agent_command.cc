// `ckron agent`: every key of the registry with a flag becomes a flag here
// (config/keys.h); values are captured as typed text and handed to the
// config loader, which owns types, checks and precedence.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "common/log.h"
#include "config/keys.h"
#include "config/loader.h"
#include "config/print.h"
#include "config/values.h"
#include "node/agent.h"

extern char** environ;

namespace ckron::cli {
namespace {

std::map<std::string, std::string> Environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos) env[std::string(entry.substr(0, eq))] = entry.substr(eq + 1);
  }
  return env;
}

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

std::string_view TypeLabel(const config::KeySpec& key) {
  const std::string_view t = config::TypeName(key);
  if (t == "int" || t == "uint16") return "INT";
  if (t == "duration") return "DURATION";
  if (t == "list") return "VALUE";
  if (t == "map") return "KEY=VALUE";
  return "TEXT";
}

std::string Description(const config::KeySpec& key, const config::AgentConfig& defaults) {
  std::string text(key.help);
  std::string def =
      key.name == "node-name" ? defaults.node_name : config::FormatValue(key, defaults, false);
  if (def.empty()) def = config::internal::IsMultiValued(key) ? "none" : "\"\"";
  text += " (default: " + def + ")";
  if (config::internal::IsMultiValued(key)) text += " [repeatable]";
  if (key.ckron_only) text += " [ckron only]";
  return text;
}

constexpr char kFooter[] =
    "Every flag can also be set with an environment variable CKRON_<FLAG> or DKRON_<FLAG>\n"
    "(upper case, '-' as '_'; CKRON_ wins), or in a YAML/JSON file: --config FILE, else the\n"
    "first of ckron.yml, ckron.yaml, dkron.yml, dkron.yaml, dkron.json in /etc/ckron,\n"
    "/etc/dkron, $HOME/.dkron, ./config. Precedence: flag > env > file > default.\n"
    "Keys only a file can set: bootstrap, devmode, reconcileinterval. See docs/configuration.md.";

struct AgentFlags {
  std::string config_path;
  bool print_config = false;
  bool print_keys_markdown = false;
  std::vector<std::pair<const config::KeySpec*, CLI::Option*>> options;
};

}  // namespace

std::vector<Command> AddAgentCommand(CLI::App& root) {
  CLI::App* app = root.add_subcommand(
      "agent",
      "Start a ckron agent: runs jobs sent to this node and, with --server, takes part in "
      "Raft and serves the HTTP API and UI");
  app->footer(kFooter);
  auto flags = std::make_shared<AgentFlags>();
  config::AgentConfig defaults;
  defaults.node_name = Hostname();

  app->add_option("--config", flags->config_path, "Configuration file (YAML or JSON); must exist")
      ->type_name("FILE");
  app->add_flag("--print-config", flags->print_config,
                "Print the effective configuration as JSON, with where each value came from "
                "(secrets redacted), and exit");
  app->add_flag("--print-keys-markdown", flags->print_keys_markdown,
                "Print the key table of docs/configuration.md and exit")
      ->group("");  // hidden: for maintainers
  for (const config::KeySpec& key : config::AllKeys()) {
    if (!key.has_flag()) continue;
    const std::string name = "--" + std::string(key.flag_name);
    const std::string description = Description(key, defaults);
    CLI::Option* opt =
        std::holds_alternative<bool config::AgentConfig::*>(key.field)
            ? app->add_flag(name, description)
            : app->add_option(name, description)->type_name(std::string(TypeLabel(key)));
    opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    flags->options.emplace_back(&key, opt);
  }

  auto run = [app, flags]() -> int {
    if (flags->print_keys_markdown) {
      std::cout << config::KeysMarkdownTable();
      return kExitOk;
    }
    config::LoadInputs inputs;
    for (const auto& [key, opt] : flags->options) {
      for (const std::string& text : opt->results()) {
        inputs.flags.push_back({std::string(key->name), text});
      }
    }
    inputs.env = Environment();
    inputs.config_path = flags->config_path;
    inputs.hostname = Hostname();
    auto loaded = config::LoadAgentConfig(inputs);
    if (!loaded.ok()) return UsageError(*app, loaded.status().message());
    if (flags->print_config) {
      std::cout << config::EffectiveConfigJson(*loaded);
      return kExitOk;
    }
    node::AgentOptions options{.config = *std::move(loaded), .reload = [inputs]() mutable {
                                 inputs.env = Environment();
                                 return config::LoadAgentConfig(inputs);
                               }};
    auto agent = node::Agent::Start(std::move(options));
    if (!agent.ok()) {
      // Logging is configured by now: report in the chosen format too.
      logging::Get("agent")->critical("agent: cannot start: {}", agent.status().message());
      return kExitFailure;
    }
    return (*agent)->Run();
  };
  return {{app, run, /*handles_signals=*/true}};
}

}  // namespace ckron::cli
