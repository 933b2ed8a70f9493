// A blocking client for line protocols on 127.0.0.1 (the raft test driver's
// client port), with timeouts on connect and on every read.
//
// Thread safety: not thread-safe; one owner.
#ifndef CKRON_RAFT_TESTING_LINE_CLIENT_H_
#define CKRON_RAFT_TESTING_LINE_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace ckron::raft::testing {

class LineClient {
 public:
  LineClient() = default;
  ~LineClient();
  LineClient(LineClient&& other) noexcept;
  LineClient& operator=(LineClient&& other) noexcept;
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  // kUnavailable if nothing accepts within `timeout`.
  static Result<LineClient> Connect(std::uint16_t port, std::chrono::milliseconds timeout);

  // Sends `line` + '\n' (may be several pipelined lines joined by '\n').
  Status Send(const std::string& line);
  // The next reply line (without '\n'); kTimeout / kUnavailable on failure.
  Result<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Send + ReadLine.
  Result<std::string> Call(const std::string& line, std::chrono::milliseconds timeout);

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Close();

 private:
  int fd_ = -1;
  std::string buf_;
};

}  // namespace ckron::raft::testing

#endif  // CKRON_RAFT_TESTING_LINE_CLIENT_H_
