#include "config/file_format.h"

#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace ckron::config::internal {
namespace {

Status FileError(std::string_view path, std::string_view what) {
  return Status::InvalidArgument("file " + std::string(path) + ": " + std::string(what));
}

// yaml-cpp and nlohmann recurse per nesting level while parsing; reject
// absurd flow nesting ("[[[[...") before handing them the text.
bool TooDeep(std::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') {
      if (++depth > 2 * kMaxDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

class Converter {
 public:
  explicit Converter(std::string_view path) : path_(path) {}

  Result<FileValue> FromYaml(const YAML::Node& node, int depth) {
    CKRON_RETURN_IF_ERROR(Enter(depth));
    FileValue out;
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        break;
      case YAML::NodeType::Scalar:
        out.kind = FileValue::Kind::kScalar;
        out.scalar = node.Scalar();
        break;
      case YAML::NodeType::Sequence:
        out.kind = FileValue::Kind::kList;
        for (const YAML::Node& item : node) {
          CKRON_ASSIGN_OR_RETURN(FileValue v, FromYaml(item, depth + 1));
          out.items.push_back(std::move(v));
        }
        break;
      case YAML::NodeType::Map:
        out.kind = FileValue::Kind::kMap;
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return FileError(path_, "map keys must be plain strings (line " +
                                        std::to_string(kv.first.Mark().line + 1) + ")");
          }
          CKRON_ASSIGN_OR_RETURN(FileValue v, FromYaml(kv.second, depth + 1));
          out.keys.push_back(kv.first.Scalar());
          out.items.push_back(std::move(v));
        }
        break;
    }
    return out;
  }

  Result<FileValue> FromJson(const nlohmann::json& j, int depth) {
    CKRON_RETURN_IF_ERROR(Enter(depth));
    FileValue out;
    if (j.is_null()) return out;
    if (j.is_object()) {
      out.kind = FileValue::Kind::kMap;
      for (const auto& [k, v] : j.items()) {
        CKRON_ASSIGN_OR_RETURN(FileValue child, FromJson(v, depth + 1));
        out.keys.push_back(k);
        out.items.push_back(std::move(child));
      }
    } else if (j.is_array()) {
      out.kind = FileValue::Kind::kList;
      for (const auto& v : j) {
        CKRON_ASSIGN_OR_RETURN(FileValue child, FromJson(v, depth + 1));
        out.items.push_back(std::move(child));
      }
    } else {
      out.kind = FileValue::Kind::kScalar;
      out.scalar = j.is_string() ? j.get<std::string>() : j.dump();
    }
    return out;
  }

 private:
  // Bounds depth and total size: YAML aliases can make a small file expand
  // into a huge (or cyclic) tree.
  Status Enter(int depth) {
    if (depth > kMaxDepth) return FileError(path_, "nested too deeply");
    if (++nodes_ > kMaxNodes) return FileError(path_, "too many values");
    return OkStatus();
  }

  std::string_view path_;
  std::size_t nodes_ = 0;
};

}  // namespace

Result<FileValue> ParseConfigText(std::string_view text, bool json, std::string_view path) {
  if (text.size() > kMaxFileBytes) {
    return FileError(path, "larger than " + std::to_string(kMaxFileBytes) + " bytes");
  }
  if (TooDeep(text)) return FileError(path, "nested too deeply");
  Converter converter(path);
  Result<FileValue> root = FileValue{};
  if (json) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
      std::string what = e.what();
      if (const auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
      return FileError(path, "invalid JSON: " + what);
    }
    root = converter.FromJson(j, 0);
  } else {
    YAML::Node node;
    try {
      node = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
      return FileError(path, "invalid YAML at line " + std::to_string(e.mark.line + 1) +
                                 ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    try {
      root = converter.FromYaml(node, 0);
    } catch (const YAML::Exception& e) {
      return FileError(path, std::string("invalid YAML: ") + e.what());
    }
  }
  if (!root.ok()) return root.status();
  if (root->kind == FileValue::Kind::kNull) root->kind = FileValue::Kind::kMap;
  if (root->kind != FileValue::Kind::kMap) {
    return FileError(path, "expected a map of configuration keys at the top level");
  }
  return root;
}

}  // namespace ckron::config::internal
