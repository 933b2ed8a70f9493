#include "config/values.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "common/go_duration.h"
#include "common/log.h"
#include "common/secret_hash.h"
#include "config/base64.h"
#include "config/sockaddr_template.h"

namespace ckron::config::internal {
namespace {

std::string Quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

Status Expected(std::string_view what, std::string_view got_text) {
  return Status::InvalidArgument("expected " + std::string(what) + ", got " + Quote(got_text));
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

bool IsReservedTag(std::string_view key) {
  return std::find(std::begin(kReservedTags), std::end(kReservedTags), key) !=
         std::end(kReservedTags);
}

// The per-key checks of Check, on the value just assigned.
Status CheckString(Check check, const std::string& v) {
  switch (check) {
    case Check::kNonEmpty:
      if (v.empty()) return Expected("a non-empty value", v);
      break;
    case Check::kProfile:
      if (v != "lan" && v != "wan" && v != "local") return Expected("one of lan, wan, local", v);
      break;
    case Check::kLogLevel:
      if (!logging::ParseLevel(v).ok()) {
        return Expected("one of debug, info, warn, error, fatal, panic", v);
      }
      break;
    case Check::kLogFormat:
      if (v != "text" && v != "json") return Expected("text or json", v);
      break;
    case Check::kEncryptKey: {
      if (v.empty()) break;
      // Never echo the key: it is a secret.
      auto bytes = Base64Decode(v);
      if (!bytes) {
        return Status::InvalidArgument(
            "expected a base64-encoded key of 16, 24 or 32 bytes (see ckron keygen), got text "
            "that is not base64");
      }
      if (bytes->size() != 16 && bytes->size() != 24 && bytes->size() != 32) {
        return Status::InvalidArgument(
            "expected a base64-encoded key of 16, 24 or 32 bytes (see ckron keygen), got " +
            std::to_string(bytes->size()) + " bytes");
      }
      break;
    }
    case Check::kAddress: {
      Status s = CheckAddress(v);
      if (!s.ok()) {
        return Status::InvalidArgument(
            "expected host, host:port, :port or a go-sockaddr template: " + s.message());
      }
      break;
    }
    default:
      break;
  }
  return OkStatus();
}

// `shown` is the text the value came from, for messages about scalars.
Status CheckField(const KeySpec& key, const AgentConfig& config, std::string_view shown) {
  return std::visit(
      [&](auto member) -> Status {
        const auto& v = config.*member;
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return CheckString(key.check, v);
        } else if constexpr (std::is_same_v<T, absl::Duration>) {
          if (key.check == Check::kPositive && v <= absl::ZeroDuration()) {
            return Expected("a positive duration", shown);
          }
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          if (key.check == Check::kCredentials) {
            std::set<std::string> names;
            for (const std::string& item : v) {
              auto c = ParseCredential(item);
              if (!c.ok()) return c.status();
              if (!names.insert(c->name).second) {
                return Status::InvalidArgument(Quote(c->name) + " is listed twice");
              }
            }
          }
          if (key.check == Check::kStatsdTags) {
            for (const std::string& tag : v) {
              const std::size_t colon = tag.find(':');
              if (colon == std::string::npos || colon == 0) {
                return Status::InvalidArgument("tag " + Quote(tag) +
                                               ": expected key:value with a non-empty key");
              }
            }
          }
        } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
          if (key.check == Check::kNodeTags) {
            for (const auto& [k, value] : v) {
              if (k.empty()) {
                return Status::InvalidArgument("tag " + Quote("=" + value) +
                                               ": expected key=value with a non-empty key");
              }
              if (IsReservedTag(k)) {
                return Status::InvalidArgument("tag " + Quote(k) +
                                               " is reserved: the agent sets it itself");
              }
            }
          }
        }
        return OkStatus();
      },
      key.field);
}

}  // namespace

std::vector<std::string> SplitItems(std::string_view text, ListSplit split) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    const std::string item(absl::StripAsciiWhitespace(cur));
    if (!item.empty()) out.push_back(item);
    cur.clear();
  };
  for (char c : text) {
    const bool sep = c == ',' || (split == ListSplit::kCommaOrSpace &&
                                  absl::ascii_isspace(static_cast<unsigned char>(c)));
    if (sep) {
      flush();
    } else {
      cur += c;
    }
  }
  flush();
  return out;
}

std::optional<bool> ParseGoBool(std::string_view t) {
  if (t == "1" || t == "t" || t == "T" || t == "TRUE" || t == "true" || t == "True") return true;
  if (t == "0" || t == "f" || t == "F" || t == "FALSE" || t == "false" || t == "False")
    return false;
  return std::nullopt;
}

bool IsMapKey(const KeySpec& key) {
  return std::holds_alternative<std::map<std::string, std::string> AgentConfig::*>(key.field);
}

bool IsMultiValued(const KeySpec& key) {
  return IsMapKey(key) ||
         std::holds_alternative<std::vector<std::string> AgentConfig::*>(key.field);
}

std::string Expectation(const KeySpec& key) {
  switch (key.field.index()) {
    case 0:
      return "a boolean (true or false)";
    case 1:
    case 2:
      if (key.max >= std::numeric_limits<int>::max()) {
        return "an integer >= " + std::to_string(key.min);
      }
      return "an integer " + std::to_string(key.min) + "-" + std::to_string(key.max);
    case 3:
      return "a Go duration such as 30s or 1h30m";
    case 4:
      return "a string";
    case 5:
      return "a list of strings";
    case 6:
      return "a map of key: value";
  }
  return "?";
}

Status AssignText(const KeySpec& key, std::string_view text, ListSplit split, AgentConfig& config) {
  Status s = std::visit(
      [&](auto member) -> Status {
        auto& v = config.*member;
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          auto b = ParseGoBool(text);
          if (!b) return Expected(Expectation(key), text);
          v = *b;
        } else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, std::uint16_t>) {
          auto n = ParseInt(text);
          if (!n || *n < key.min || *n > key.max) return Expected(Expectation(key), text);
          v = static_cast<T>(*n);
        } else if constexpr (std::is_same_v<T, absl::Duration>) {
          auto d = ParseGoDuration(text);
          if (!d.ok()) return Expected(Expectation(key), text);
          v = *d;
        } else if constexpr (std::is_same_v<T, std::string>) {
          v = std::string(text);
        } else {
          return AssignItems(key, SplitItems(text, split), config);
        }
        return OkStatus();
      },
      key.field);
  if (!s.ok()) return s;
  return CheckField(key, config, text);
}

Status AssignItems(const KeySpec& key, const std::vector<std::string>& items, AgentConfig& config) {
  if (IsMapKey(key)) {
    std::vector<std::pair<std::string, std::string>> entries;
    for (const std::string& item : items) {
      const std::size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Status::InvalidArgument("tag " + Quote(item) +
                                       ": expected key=value with a non-empty key");
      }
      entries.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    }
    return AssignEntries(key, entries, config);
  }
  auto member = std::get<std::vector<std::string> AgentConfig::*>(key.field);
  config.*member = items;
  return CheckField(key, config, "");
}

Status AssignEntries(const KeySpec& key,
                     const std::vector<std::pair<std::string, std::string>>& entries,
                     AgentConfig& config) {
  auto member = std::get<std::map<std::string, std::string> AgentConfig::*>(key.field);
  std::map<std::string, std::string> m;
  for (const auto& [k, v] : entries) m[k] = v;
  config.*member = std::move(m);
  return CheckField(key, config, "");
}

}  // namespace ckron::config::internal
