// Helpers for raft/ tests that touch the real world: temporary directories,
// free TCP ports on 127.0.0.1, and polling with a deadline (no blind sleeps).
//
// Thread safety: TempDir is not thread-safe; the functions are.
#ifndef CKRON_RAFT_TESTING_TEST_ENV_H_
#define CKRON_RAFT_TESTING_TEST_ENV_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace ckron::raft::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction unless CKRON_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ckron-raft");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read
// it, close). Ports handed out by this process are not repeated.
std::uint16_t FreeTcpPort();

// Polls `done` every `every` until it returns true (-> true) or `timeout`
// passes (-> false).
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout,
             std::chrono::milliseconds every = std::chrono::milliseconds(5));

}  // namespace ckron::raft::testing

#endif  // CKRON_RAFT_TESTING_TEST_ENV_H_
