#include "config/loader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "config/file_format.h"
#include "config/keys.h"
#include "config/values.h"

namespace ckron::config {
namespace {

using internal::FileValue;
using internal::ListSplit;

class RealFs final : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path) const override {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) return Status::NotFound(path + " does not exist");
    if (std::filesystem::is_directory(status)) return Status::Unavailable(path + " is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::Unavailable("cannot open " + path);
    std::ostringstream out;
    out << in.rdbuf();
    if (in.bad()) return Status::Unavailable("cannot read " + path);
    return out.str();
  }
};

constexpr std::string_view kEnvPrefixes[] = {"CKRON_", "DKRON_"};

class Loader {
 public:
  explicit Loader(const LoadInputs& in) : in_(in) {}

  Result<LoadedConfig> Run() {
    out_.config.node_name = in_.hostname;
    for (const KeySpec& k : AllKeys()) out_.origins[std::string(k.name)] = Origin{};
    ReadFile();
    ApplyEnv();
    ApplyFlags();
    if (errors_.empty()) CrossCheck();
    if (!errors_.empty()) return Status::InvalidArgument(absl::StrJoin(errors_, "\n"));
    if (!out_.config.webhook_url.empty()) {
      out_.warnings.push_back(Describe("webhook-url") +
                              ": webhook-url is deprecated and has no effect (as in Dkron); "
                              "use webhook-endpoint");
    }
    return std::move(out_);
  }

 private:
  std::string Describe(std::string_view key) const {
    return out_.origins.find(key)->second.Describe();
  }

  void Assigned(const KeySpec& key, Origin origin, const Status& s) {
    if (s.ok()) {
      out_.origins[std::string(key.name)] = std::move(origin);
    } else {
      errors_.push_back(origin.Describe() + ": " + s.message());
    }
  }

  // ---- file ----

  void ReadFile() {
    std::string path = in_.config_path;
    Result<std::string> text = Status::NotFound("");
    if (!path.empty()) {
      text = in_.fs->ReadFile(path);
      if (!text.ok()) {
        errors_.push_back(text.status().code() == StatusCode::kNotFound
                              ? "--config: file \"" + path + "\" does not exist"
                              : "--config: cannot read \"" + path +
                                    "\": " + text.status().message());
        return;
      }
    } else {
      const std::string home = in_.env.contains("HOME") ? in_.env.at("HOME") : "";
      for (const std::string& candidate : ConfigSearchPaths(home)) {
        text = in_.fs->ReadFile(candidate);
        if (text.ok()) {
          path = candidate;
          break;
        }
        if (text.status().code() != StatusCode::kNotFound) {
          errors_.push_back("file " + candidate + ": " + text.status().message());
          return;
        }
      }
      if (path.empty()) return;  // no file: defaults, env and flags only
    }
    out_.file = path;
    auto root = internal::ParseConfigText(*text, path.ends_with(".json"), path);
    if (!root.ok()) {
      errors_.push_back(root.status().message());
      return;
    }
    std::map<std::string, std::string> seen;  // canonical name -> key as written
    for (std::size_t i = 0; i < root->keys.size(); ++i) {
      const std::string& written = root->keys[i];
      const FileValue& value = root->items[i];
      const KeySpec* key = FindKey(written);
      if (key == nullptr) {
        errors_.push_back("file " + path + ": unknown key \"" + written + "\"" + Suggest(written));
        continue;
      }
      auto [it, fresh] = seen.emplace(key->name, written);
      if (!fresh) {
        errors_.push_back("file " + path + ": key \"" + written + "\" given twice (also as \"" +
                          it->second + "\")");
        continue;
      }
      if (value.kind == FileValue::Kind::kNull) continue;
      Origin origin{SourceKind::kFile, path, written};
      Assigned(*key, origin, AssignFileValue(*key, value));
    }
  }

  static std::string Suggest(std::string_view written) {
    std::string guess(written);
    for (char& c : guess) {
      if (c == '_') c = '-';
    }
    const KeySpec* key = FindKey(guess);
    return key ? " (did you mean " + std::string(key->name) + "?)" : "";
  }

  static Status Got(const KeySpec& key, std::string_view what) {
    return Status::InvalidArgument("expected " + internal::Expectation(key) + ", got " +
                                   std::string(what));
  }

  Status AssignFileValue(const KeySpec& key, const FileValue& v) {
    switch (v.kind) {
      case FileValue::Kind::kScalar:
        return internal::AssignText(key, v.scalar, ListSplit::kComma, out_.config);
      case FileValue::Kind::kList: {
        if (!internal::IsMultiValued(key)) return Got(key, "a list");
        std::vector<std::string> items;
        for (const FileValue& item : v.items) {
          if (item.kind == FileValue::Kind::kNull) continue;
          if (item.kind != FileValue::Kind::kScalar) return Got(key, "a nested list or map");
          items.push_back(item.scalar);
        }
        return internal::AssignItems(key, items, out_.config);
      }
      case FileValue::Kind::kMap: {
        if (!internal::IsMapKey(key)) return Got(key, "a map");
        std::vector<std::pair<std::string, std::string>> entries;
        for (std::size_t i = 0; i < v.keys.size(); ++i) {
          const std::string& k = v.keys[i];
          const FileValue& item = v.items[i];
          if (item.kind == FileValue::Kind::kList || item.kind == FileValue::Kind::kMap) {
            return Got(key, "a nested list or map under \"" + k + "\"");
          }
          entries.emplace_back(k, item.scalar);
        }
        return internal::AssignEntries(key, entries, out_.config);
      }
      case FileValue::Kind::kNull:
        break;
    }
    return OkStatus();
  }

  // ---- env ----

  void ApplyEnv() {
    for (const KeySpec& key : AllKeys()) {
      for (std::string_view prefix : kEnvPrefixes) {
        std::string name = EnvName(prefix, key.name);
        auto it = in_.env.find(name);
        if ((it == in_.env.end() || it->second.empty()) && !key.alias.empty()) {
          name = EnvName(prefix, key.alias);
          it = in_.env.find(name);
        }
        if (it == in_.env.end() || it->second.empty()) continue;
        Origin origin{SourceKind::kEnv, name, ""};
        Assigned(key, origin,
                 internal::AssignText(key, it->second, ListSplit::kCommaOrSpace, out_.config));
        break;  // CKRON_ wins over DKRON_
      }
    }
  }

  // ---- flags ----

  void ApplyFlags() {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> texts;
    for (const FlagValue& f : in_.flags) {
      if (!texts.contains(f.key)) order.push_back(f.key);
      texts[f.key].push_back(f.text);
    }
    for (const std::string& name : order) {
      const KeySpec* key = FindKey(name);
      if (key == nullptr || !key->has_flag()) {
        errors_.push_back("--" + name + ": unknown flag");
        continue;
      }
      Origin origin{SourceKind::kFlag, "--" + std::string(key->flag_name), ""};
      Status s;
      if (internal::IsMultiValued(*key)) {
        std::vector<std::string> items;
        for (const std::string& t : texts[name]) {
          auto split = internal::SplitItems(t, ListSplit::kComma);
          items.insert(items.end(), split.begin(), split.end());
        }
        s = internal::AssignItems(*key, items, out_.config);
      } else {
        for (const std::string& t : texts[name]) {
          s = internal::AssignText(*key, t, ListSplit::kComma, out_.config);
          if (!s.ok()) break;
        }
      }
      Assigned(*key, origin, s);
    }
  }

  // ---- checks across keys ----

  void CrossCheck() {
    const AgentConfig& c = out_.config;
    if (c.node_name.empty()) {
      errors_.push_back("node-name: empty (the host name is unknown); set node-name");
    }
    if (c.bootstrap_expect > 0 && !c.server) {
      errors_.push_back(Describe("bootstrap-expect") +
                        ": bootstrap-expect requires server mode; set server (--server)");
    }
    if (c.bootstrap && !c.server) {
      errors_.push_back(Describe("bootstrap") +
                        ": bootstrap requires server mode; set server (--server)");
    }
    if (c.bootstrap && c.bootstrap_expect > 0) {
      errors_.push_back(Describe("bootstrap") + ": bootstrap conflicts with bootstrap-expect (" +
                        Describe("bootstrap-expect") + "); set only one");
    }
  }

  const LoadInputs& in_;
  LoadedConfig out_;
  std::vector<std::string> errors_;
};

}  // namespace

std::string_view SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kDefault:
      return "default";
    case SourceKind::kFile:
      return "file";
    case SourceKind::kEnv:
      return "env";
    case SourceKind::kFlag:
      return "flag";
  }
  return "?";
}

std::string Origin::Describe() const {
  switch (kind) {
    case SourceKind::kDefault:
      return "default";
    case SourceKind::kFile:
      return "file " + where + " key " + file_key;
    case SourceKind::kEnv:
      return "env " + where;
    case SourceKind::kFlag:
      return where;
  }
  return "?";
}

const FileSystem& RealFileSystem() {
  static const RealFs* fs = new RealFs();
  return *fs;
}

std::vector<std::string> ConfigSearchPaths(std::string_view home) {
  std::vector<std::string> dirs = {"/etc/ckron", "/etc/dkron"};
  if (!home.empty()) dirs.push_back(std::string(home) + "/.dkron");
  dirs.push_back("./config");
  static constexpr std::string_view kNames[] = {"ckron.yml", "ckron.yaml", "dkron.yml",
                                                "dkron.yaml", "dkron.json"};
  std::vector<std::string> out;
  for (const std::string& d : dirs) {
    for (std::string_view n : kNames) out.push_back(d + "/" + std::string(n));
  }
  return out;
}

Result<LoadedConfig> LoadAgentConfig(const LoadInputs& inputs) {
  return Loader(inputs).Run();
}

}  // namespace ckron::config
