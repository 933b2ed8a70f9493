#include "raft/testing/line_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace ckron::raft::testing {

LineClient::~LineClient() {
  Close();
}

LineClient::LineClient(LineClient&& other) noexcept : fd_(other.fd_), buf_(std::move(other.buf_)) {
  other.fd_ = -1;
}

LineClient& LineClient::operator=(LineClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    buf_ = std::move(other.buf_);
    other.fd_ = -1;
  }
  return *this;
}

void LineClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buf_.clear();
}

Result<LineClient> LineClient::Connect(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::Unavailable(std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      LineClient c;
      c.fd_ = fd;
      return c;
    }
    close(fd);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Unavailable("nothing accepts on 127.0.0.1:" + std::to_string(port));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status LineClient::Send(const std::string& line) {
  if (fd_ < 0) return Status::Unavailable("not connected");
  const std::string data = line + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) {
      Close();
      return Status::Unavailable("send failed");
    }
    done += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

Result<std::string> LineClient::ReadLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    if (fd_ < 0) return Status::Unavailable("not connected");
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Close();  // the reply may still come: the stream is out of sync now
      return Status::Timeout("no reply in time");
    }
    pollfd p{fd_, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      Close();
      return Status::Unavailable("connection closed");
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

Result<std::string> LineClient::Call(const std::string& line, std::chrono::milliseconds timeout) {
  CKRON_RETURN_IF_ERROR(Send(line));
  return ReadLine(timeout);
}

}  // namespace ckron::raft::testing
