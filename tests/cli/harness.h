// Shared pieces of the CLI tests: the ckron binary under test (CKRON_BIN,
// set by CMake), a scratch directory per test, and a minimal environment
// that never inherits the developer's CKRON_*/DKRON_* variables.
#ifndef CKRON_TESTS_CLI_HARNESS_H_
#define CKRON_TESTS_CLI_HARNESS_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace ckron::testing {

inline const std::string kCkron = CKRON_BIN;

// The non-empty lines of `text`.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ckron-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    env_ = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}, {"HOME", dir_}, {"TZ", "UTC"}};
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Writes `text` to `name` under the scratch directory; returns its path.
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::filesystem::path p = std::filesystem::path(dir_) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

  // Runs `ckron args...` in the scratch directory.
  RunResult Ckron(std::vector<std::string> args, const Env& extra_env = {}) {
    args.insert(args.begin(), kCkron);
    Env env = env_;
    for (const auto& [k, v] : extra_env) env[k] = v;
    return ckron::testing::Run(args, env, dir_);
  }

  std::unique_ptr<Subprocess> StartCkron(std::vector<std::string> args, const Env& extra_env = {}) {
    args.insert(args.begin(), kCkron);
    Env env = env_;
    for (const auto& [k, v] : extra_env) env[k] = v;
    return Subprocess::Start(args, env, dir_);
  }

  std::string dir_;
  Env env_;
};

}  // namespace ckron::testing

#endif  // CKRON_TESTS_CLI_HARNESS_H_
