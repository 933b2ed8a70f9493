#include "metrics/statsd.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ckron::metrics {
namespace {

// Replaces what statsd's line format gives a meaning to.
std::string Clean(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == ':' || c == '|' || c == '@' || c == '#' || c == ',' || c == '\n' || c == '\r' ||
        c == ' ') {
      c = '_';
    }
  }
  return out;
}

// Numbers as statsd servers parse them: integers without a fraction.
std::string Number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  return absl::StrFormat("%.6g", v);
}

}  // namespace

Result<std::unique_ptr<StatsdSink>> StatsdSink::Open(StatsdOptions options) {
  const std::size_t colon = options.address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == options.address.size()) {
    return Status::InvalidArgument("statsd address \"" + options.address + "\" is not host:port");
  }
  std::string host = options.address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = options.address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return Status::Unavailable("statsd address " + options.address + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return Status::Unavailable("statsd address " + options.address + ": " + error);
  return std::unique_ptr<StatsdSink>(new StatsdSink(std::move(options), fd));
}

StatsdSink::StatsdSink(StatsdOptions options, int fd) : options_(std::move(options)), fd_(fd) {
  if (options_.dogstatsd) {
    if (!options_.hostname.empty()) suffix_ += ",host:" + Clean(options_.hostname);
    for (const std::string& t : options_.tags) {
      // A tag is "k:v" or "k": keep its first ':' as the separator.
      const std::size_t colon = t.find(':');
      suffix_ += "," + (colon == std::string::npos
                            ? Clean(t)
                            : Clean(t.substr(0, colon)) + ":" + Clean(t.substr(colon + 1)));
    }
  }
  thread_ = std::thread([this] { Run(); });
}

StatsdSink::~StatsdSink() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  close(fd_);
}

void StatsdSink::Record(Kind kind, std::string_view key, const Labels& labels, double value) {
  const char* type = kind == Kind::kCounter ? "c" : (kind == Kind::kGauge ? "g" : "ms");
  if (kind == Kind::kTiming) value *= 1000;
  std::string line;
  if (options_.dogstatsd) {
    line = absl::StrCat(Clean(key), ":", Number(value), "|", type);
    std::string tags;
    for (const auto& [k, v] : labels) absl::StrAppend(&tags, ",", Clean(k), ":", Clean(v));
    tags += suffix_;
    if (!tags.empty()) absl::StrAppend(&line, "|#", tags.substr(1));
  } else {
    line = Clean(key);
    for (const auto& [k, v] : labels) absl::StrAppend(&line, ".", Clean(v));
    absl::StrAppend(&line, ":", Number(value), "|", type);
  }
  std::lock_guard lock(mu_);
  if (queue_.size() >= options_.max_queued) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(line));
}

void StatsdSink::Flush() {
  std::unique_lock lock(mu_);
  SendLocked(lock);
}

void StatsdSink::SendLocked(std::unique_lock<std::mutex>& lock) {
  std::vector<std::string> lines;
  lines.swap(queue_);
  lock.unlock();
  std::string packet;
  std::uint64_t sent = 0;
  const auto send_packet = [&] {
    if (packet.empty()) return;
    // UDP: a full socket buffer or no listener loses the datagram, as
    // statsd clients do; metrics must never stall the agent.
    if (::send(fd_, packet.data(), packet.size(), MSG_DONTWAIT) >= 0) ++sent;
    packet.clear();
  };
  for (const std::string& line : lines) {
    if (!packet.empty() && packet.size() + 1 + line.size() > options_.max_packet) send_packet();
    if (!packet.empty()) packet += '\n';
    packet += line;
  }
  send_packet();
  lock.lock();
  datagrams_ += sent;
}

void StatsdSink::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, absl::ToChronoNanoseconds(options_.flush_interval), [&] { return stop_; });
    SendLocked(lock);
  }
}

std::uint64_t StatsdSink::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::uint64_t StatsdSink::datagrams() const {
  std::lock_guard lock(mu_);
  return datagrams_;
}

}  // namespace ckron::metrics
