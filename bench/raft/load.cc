#include "bench/raft/load.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ckron::bench {
namespace {

using Clock = std::chrono::steady_clock;

int ConnectLoopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool SendAll(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Parses one HTTP/1.1 response with Content-Length; consumed 0 if partial.
WireProtocol::Parsed ParseHttp(std::string_view buf, int* code, std::string* body) {
  const auto end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) return {};
  const std::string_view head = buf.substr(0, end);
  *code = 0;
  if (head.size() > 12) *code = std::atoi(std::string(head.substr(9, 3)).c_str());
  std::size_t length = 0;
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    const std::string_view line = head.substr(pos, head.find("\r\n", pos) - pos);
    if (line.size() > 15 && strncasecmp(line.data(), "content-length:", 15) == 0) {
      length = static_cast<std::size_t>(std::atoll(std::string(line.substr(15)).c_str()));
    }
  }
  if (buf.size() < end + 4 + length) return {};
  if (body != nullptr) *body = std::string(buf.substr(end + 4, length));
  return {end + 4 + length, *code == 200};
}

class DriverWire final : public WireProtocol {
 public:
  explicit DriverWire(std::size_t value_bytes) : value_(value_bytes, 'v') {}
  std::string Request(int conn, std::uint64_t seq) override {
    return "PUT c" + std::to_string(conn) + "k" + std::to_string(seq % 1000) + " " + value_ + "\n";
  }
  Parsed Parse(std::string_view buf) override {
    const auto nl = buf.find('\n');
    if (nl == std::string_view::npos) return {};
    return {nl + 1, buf.substr(0, 3) == "OK "};
  }

 private:
  const std::string value_;
};

class EtcdWire final : public WireProtocol {
 public:
  EtcdWire(std::uint16_t port, std::size_t value_bytes)
      : host_("127.0.0.1:" + std::to_string(port)), value_(Base64(std::string(value_bytes, 'v'))) {}
  std::string Request(int conn, std::uint64_t seq) override {
    const std::string body = "{\"key\":\"" +
                             Base64("c" + std::to_string(conn) + "k" + std::to_string(seq % 1000)) +
                             "\",\"value\":\"" + value_ + "\"}";
    return "POST /v3/kv/put HTTP/1.1\r\nHost: " + host_ +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  }
  Parsed Parse(std::string_view buf) override {
    int code = 0;
    return ParseHttp(buf, &code, nullptr);
  }

 private:
  const std::string host_;
  const std::string value_;
};

Result<int> HttpRequest(std::uint16_t port, const std::string& request, std::string* reply_body,
                        std::chrono::milliseconds timeout) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return Status::Unavailable("connect 127.0.0.1:" + std::to_string(port));
  if (!SendAll(fd, request)) {
    close(fd);
    return Status::Unavailable("send");
  }
  const auto deadline = Clock::now() + timeout;
  std::string buf;
  for (;;) {
    int code = 0;
    const auto parsed = ParseHttp(buf, &code, reply_body);
    if (parsed.consumed > 0) {
      close(fd);
      return code;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      close(fd);
      return Status::Timeout("no HTTP reply");
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char chunk[16384];
    const ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      close(fd);
      return Status::Unavailable("connection closed");
    }
    buf.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto v = (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i + 1])) << 8) |
                   static_cast<std::uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const auto v = static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const auto v = (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<std::uint8_t>(in[i + 1])) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::unique_ptr<WireProtocol> DriverProtocol(std::size_t value_bytes) {
  return std::make_unique<DriverWire>(value_bytes);
}

std::unique_ptr<WireProtocol> EtcdProtocol(std::uint16_t port, std::size_t value_bytes) {
  return std::make_unique<EtcdWire>(port, value_bytes);
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(rank);
  const auto hi = std::min(lo + 1, values.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

double LoadResult::percentile_ms(double p) const {
  return Percentile(latency_ms, p);
}

Result<LoadResult> RunLoad(std::uint16_t port, WireProtocol& protocol, int connections,
                           std::chrono::milliseconds warmup, std::chrono::milliseconds measure) {
  struct Conn {
    int fd = -1;
    std::string in;
    Clock::time_point sent;
    std::uint64_t seq = 0;
  };
  std::vector<Conn> conns(static_cast<std::size_t>(connections));
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = ConnectLoopback(port);
    if (conns[i].fd < 0) {
      for (auto& c : conns) {
        if (c.fd >= 0) close(c.fd);
      }
      return Status::Unavailable("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  LoadResult r;
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from = start + warmup;
  const Clock::time_point end = measure_from + measure;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].sent = Clock::now();
    if (!SendAll(conns[i].fd, protocol.Request(static_cast<int>(i), conns[i].seq))) {
      return Status::Unavailable("send failed");
    }
  }
  std::vector<pollfd> fds(conns.size());
  std::size_t live = conns.size();
  while (live > 0) {
    const Clock::time_point now = Clock::now();
    if (now >= end) break;
    for (std::size_t i = 0; i < conns.size(); ++i) fds[i] = {conns[i].fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - now).count();
    const int n = poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(1, left)));
    if (n <= 0) continue;
    for (std::size_t i = 0; i < conns.size(); ++i) {
      if (conns[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      Conn& c = conns[i];
      char chunk[65536];
      const ssize_t got = recv(c.fd, chunk, sizeof chunk, 0);
      if (got <= 0) {
        close(c.fd);
        c.fd = -1;
        --live;
        ++r.errors;
        continue;
      }
      c.in.append(chunk, static_cast<std::size_t>(got));
      const WireProtocol::Parsed p = protocol.Parse(c.in);
      if (p.consumed == 0) continue;
      c.in.erase(0, p.consumed);
      const Clock::time_point done = Clock::now();
      if (done >= measure_from && done < end) {
        if (p.ok) {
          ++r.ok;
          r.latency_ms.push_back(std::chrono::duration<double, std::milli>(done - c.sent).count());
        } else {
          ++r.errors;
        }
      }
      c.sent = Clock::now();
      if (!SendAll(c.fd, protocol.Request(static_cast<int>(i), ++c.seq))) {
        close(c.fd);
        c.fd = -1;
        --live;
        ++r.errors;
      }
    }
  }
  for (auto& c : conns) {
    if (c.fd >= 0) close(c.fd);
  }
  r.seconds = std::chrono::duration<double>(measure).count();
  return r;
}

Result<int> HttpPost(std::uint16_t port, const std::string& path, const std::string& body,
                     std::string* reply_body, std::chrono::milliseconds timeout) {
  const std::string req = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nContent-Type: application/json\r\nConnection: close\r\n"
                          "Content-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  return HttpRequest(port, req, reply_body, timeout);
}

Result<int> HttpGet(std::uint16_t port, const std::string& path, std::string* reply_body,
                    std::chrono::milliseconds timeout) {
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nConnection: close\r\n\r\n";
  return HttpRequest(port, req, reply_body, timeout);
}

}  // namespace ckron::bench
