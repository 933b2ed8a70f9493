#include "api_harness.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <fstream>

namespace ckron::testing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

tcp::endpoint Endpoint(const std::string& hostport) {
  const std::size_t c = hostport.rfind(':');
  return {net::ip::make_address(hostport.substr(0, c)),
          static_cast<unsigned short>(std::stoi(hostport.substr(c + 1)))};
}

}  // namespace

HttpReply Http(const std::string& hostport, const std::string& method, const std::string& target,
               const std::string& body, const std::map<std::string, std::string>& headers) {
  HttpReply out;
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(Endpoint(hostport));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, hostport);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() && headers.count("Content-Type") == 0) {
      req.set(http::field::content_type, "application/json");
    }
    req.body() = body;
    req.prepare_payload();
    // A server may answer (413) and stop reading before the whole body is
    // sent: read its answer even when the write fails.
    beast::error_code write_error;
    http::write(stream, req, write_error);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    const auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      out.headers[name] = std::string(f.value());
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception&) {
    out.status = 0;
  }
  return out;
}

std::string RawExchange(const std::string& hostport, const std::string& bytes,
                        std::chrono::milliseconds wait) {
  std::string out;
  try {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(wait);
    stream.connect(Endpoint(hostport));
    net::write(stream.socket(), net::buffer(bytes));
    char buf[4096];
    while (true) {
      beast::error_code ec;
      stream.expires_after(wait);
      const std::size_t n = stream.read_some(net::buffer(buf), ec);
      out.append(buf, n);
      if (ec) break;
    }
  } catch (const std::exception&) {
  }
  return out;
}

bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  return raft::testing::WaitFor(done, timeout, std::chrono::milliseconds(50));
}

ApiCluster::ApiCluster(int servers, std::vector<std::string> extra_args,
                       std::function<bool(const std::string&)> ready)
    : dir_("ckron-api"), extra_args_(std::move(extra_args)), ready_(std::move(ready)) {
  if (!ready_) {
    ready_ = [](const std::string& addr) { return Http(addr, "GET", "/ready").status == 200; };
  }
  for (int i = 0; i < servers; ++i) {
    Node n;
    n.name = "s" + std::to_string(i);
    n.gossip = raft::testing::FreeTcpPort();
    n.rpc = raft::testing::FreeTcpPort();
    n.raft = raft::testing::FreeTcpPort();
    n.http = "127.0.0.1:" + std::to_string(raft::testing::FreeTcpPort());
    nodes_.push_back(std::move(n));
  }
}

ApiCluster::~ApiCluster() {
  for (Node& n : nodes_) n.process.Kill();
}

Status ApiCluster::Start() {
  const std::string expect = std::to_string(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    const auto config = dir_.path() / (n.name + ".yml");
    std::ofstream(config) << "log-level: info\nreconcileinterval: 5s\n";
    std::vector<std::string> argv = {CKRON_BIN,
                                     "agent",
                                     "--server",
                                     "--config",
                                     config.string(),
                                     "--node-name",
                                     n.name,
                                     "--bind-addr",
                                     "127.0.0.1:" + std::to_string(n.gossip),
                                     "--rpc-port",
                                     std::to_string(n.rpc),
                                     "--raft-port",
                                     std::to_string(n.raft),
                                     "--http-addr",
                                     n.http,
                                     "--data-dir",
                                     (dir_.path() / (n.name + ".data")).string(),
                                     "--profile",
                                     "local",
                                     "--bootstrap-expect",
                                     expect};
    if (i > 0) {
      argv.insert(argv.end(), {"--retry-join", "127.0.0.1:" + std::to_string(nodes_[0].gossip),
                               "--retry-interval", "1s"});
    }
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    CKRON_ASSIGN_OR_RETURN(n.process,
                           raft::testing::Process::Spawn(argv, dir_.path() / (n.name + ".log")));
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const std::string& addr = nodes_[i].http;
    if (!Eventually([&] { return ready_(addr); }, 60s)) {
      return Status::Unavailable("server " + nodes_[i].name + " never became ready:\n" +
                                 Describe());
    }
  }
  return OkStatus();
}

int ApiCluster::Leader() const {
  for (int i = 0; i < size(); ++i) {
    if (Http(http(i), "GET", "/v1/isleader").status == 200) return i;
  }
  return -1;
}

bool ApiCluster::Running(int i) {
  return nodes_[static_cast<std::size_t>(i)].process.Running();
}

void ApiCluster::Kill(int i) {
  nodes_[static_cast<std::size_t>(i)].process.Kill();
}

std::string ApiCluster::Log(int i) const {
  return raft::testing::TailFile(dir_.path() / (name(i) + ".log"), 6000);
}

std::string ApiCluster::Describe() const {
  std::string out;
  for (int i = 0; i < size(); ++i) out += "----- " + name(i) + " -----\n" + Log(i) + "\n";
  return out;
}

std::string HashSecret(const std::string& secret) {
  const std::string command =
      "printf '%s\\n' '" + secret + "' | " + CKRON_BIN + " hash-secret --iterations 1000 2>&1";
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return "hash-secret failed: popen";
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int rc = pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return rc == 0 ? out : "hash-secret failed: " + out;
}

}  // namespace ckron::testing
