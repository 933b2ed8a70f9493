#include "config/print.h"

#include "absl/strings/str_replace.h"
#include "common/go_duration.h"
#include "config/keys.h"
#include "nlohmann/json.hpp"

namespace ckron::config {
namespace {

using Json = nlohmann::ordered_json;

Json ValueJson(const KeySpec& key, const AgentConfig& config) {
  if (key.secret) return FormatValue(key, config, /*redact=*/true);
  return std::visit(
      [&](auto member) -> Json {
        const auto& v = config.*member;
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, absl::Duration>) {
          return FormatGoDuration(v);
        } else {
          return Json(v);
        }
      },
      key.field);
}

std::string Cell(std::string_view text) {
  return absl::StrReplaceAll(std::string(text), {{"|", "\\|"}});
}

}  // namespace

std::string EffectiveConfigJson(const LoadedConfig& loaded) {
  Json out;
  out["config_file"] = loaded.file.empty() ? Json(nullptr) : Json(loaded.file);
  out["warnings"] = loaded.warnings;
  Json keys = Json::object();
  for (const KeySpec& key : AllKeys()) {
    const Origin& origin = loaded.origins.find(key.name)->second;
    Json entry;
    entry["value"] = ValueJson(key, loaded.config);
    entry["source"] = std::string(SourceKindName(origin.kind));
    if (origin.kind == SourceKind::kFile) {
      entry["from"] = origin.where + " key " + origin.file_key;
    } else if (origin.kind != SourceKind::kDefault) {
      entry["from"] = origin.where;
    }
    keys[std::string(key.name)] = std::move(entry);
  }
  out["keys"] = std::move(keys);
  // Values are operator text and need not be UTF-8 (a latin-1 file, say);
  // print U+FFFD for bad bytes rather than throw (found by the fuzzer).
  return out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string KeysMarkdownTable() {
  const AgentConfig defaults;
  std::string out =
      "| Flag | Environment | YAML key | Type | Default | SIGHUP | Meaning |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const KeySpec& key : AllKeys()) {
    std::string flag = key.has_flag() ? "`--" + std::string(key.flag_name) + "`" : "(none)";
    std::string yaml = "`" + std::string(key.name) + "`";
    if (!key.alias.empty()) yaml += " (or `" + std::string(key.alias) + "`)";
    std::string def = FormatValue(key, defaults, false);
    if (key.name == "node-name") {
      def = "host name";
    } else if (def.empty()) {
      def = TypeName(key) == "list" || TypeName(key) == "map" ? "none" : "`\"\"`";
    } else {
      def = "`" + def + "`";
    }
    std::string meaning(key.help);
    if (key.ckron_only) meaning += " *(ckron only)*";
    if (key.deprecated) meaning += " *(deprecated)*";
    out += "| " + flag + " | `" + EnvName("CKRON_", key.name) + "` | " + yaml + " | " +
           std::string(TypeName(key)) + " | " + Cell(def) + " | " +
           (key.reloadable ? "yes" : "no") + " | " + Cell(meaning) + " |\n";
  }
  return out;
}

}  // namespace ckron::config
