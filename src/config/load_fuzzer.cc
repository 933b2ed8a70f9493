// libFuzzer target for the configuration loader: the input is split at NUL
// bytes into a YAML config file, environment lines (NAME=value) and flag
// lines (key=value). Any input must yield a config or an error, never a
// crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "config/print.h"

namespace {

class OneFileFs final : public ckron::config::FileSystem {
 public:
  explicit OneFileFs(std::string text) : text_(std::move(text)) {}
  ckron::Result<std::string> ReadFile(const std::string& path) const override {
    if (path == "/fuzz/ckron.yml") return text_;
    return ckron::Status::NotFound(path);
  }

 private:
  std::string text_;
};

std::vector<std::string_view> Lines(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto nl = s.find('\n');
    out.push_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view parts[3];
  for (int i = 0; i < 3; ++i) {
    const auto nul = in.find('\0');
    parts[i] = in.substr(0, nul);
    if (nul == std::string_view::npos) break;
    in.remove_prefix(nul + 1);
  }
  OneFileFs fs{std::string(parts[0])};
  ckron::config::LoadInputs inputs;
  inputs.fs = &fs;
  inputs.config_path = "/fuzz/ckron.yml";
  inputs.hostname = "fuzz";
  for (std::string_view line : Lines(parts[1])) {
    const auto eq = line.find('=');
    if (eq != std::string_view::npos) {
      inputs.env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
  }
  for (std::string_view line : Lines(parts[2])) {
    const auto eq = line.find('=');
    if (eq != std::string_view::npos) {
      inputs.flags.push_back({std::string(line.substr(0, eq)), std::string(line.substr(eq + 1))});
    }
  }
  auto loaded = ckron::config::LoadAgentConfig(inputs);
  if (loaded.ok()) (void)ckron::config::EffectiveConfigJson(*loaded);
  return 0;
}
