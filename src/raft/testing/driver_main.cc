// ckron_raft_driver: one raft::Node with the test KvStateMachine, driven over
// a tiny line protocol on a TCP client port. Test-only (tests/raft/ and
// bench/raft/ start several of these on 127.0.0.1).
//
//   ckron_raft_driver --name N --raft 127.0.0.1:P --client-port C --data-dir D
//       [--bootstrap name=addr,name=addr,...] [--multiplier M]
//       [--snapshot-threshold T] [--snapshot-trailing R]
//       [--max-batch B] [--inflight I]
//
// Requests (one per line) and replies:
//   PUT <key> <value>   OK <log index>            | ERR <code> <leader hint or -> <msg>
//   GET <key>           VAL <value>               | NONE          (local state)
//   STATUS              STATUS <state> <term> <leader id> <leader address or -> <last index>
//                              <commit> <applied> <snapshot index> <keys> <order violations>
//                              <restores>
//   BARRIER             OK                        | ERR ...
//   ADD <name> <addr>   OK | ERR ...              (AddVoter; the id is derived from the name)
//   REMOVE <name>       OK | ERR ...
//   TRANSFER [name]     OK | ERR ...
//   CONFIG              CONFIG <id>=<addr>=<role> ...
// A connection may pipeline requests; replies come in request order.
// SIGTERM/SIGINT stop the node cleanly and exit 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "common/log.h"
#include "raft/raft.h"
#include "raft/testing/kv_state_machine.h"

namespace ckron::raft {
namespace {

struct Flags {
  std::map<std::string, std::string> values;
  std::string Get(const std::string& k, const std::string& def = "") const {
    auto it = values.find(k);
    return it == values.end() ? def : it->second;
  }
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "ckron_raft_driver: %s\n", msg.c_str());
  std::exit(2);
}

Flags Parse(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) Die("bad argument " + a);
    f.values[a.substr(2)] = argv[++i];
  }
  return f;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::string Err(const Status& st) {
  std::string msg = st.message();
  for (char& c : msg) {
    if (c == '\n') c = ' ';
  }
  return "ERR " + std::string(StatusCodeName(st.code())) + " " +
         (st.leader_hint().empty() ? "-" : st.leader_hint()) + " " + msg;
}

std::string Wait(std::future<Status> f) {
  const Status st = f.get();
  return st.ok() ? "OK" : Err(st);
}

class Driver {
 public:
  Driver(Node* node, testing::KvStateMachine* sm) : node_(node), sm_(sm) {}

  void Serve(int fd) {
    std::string buf;
    char chunk[65536];
    for (;;) {
      const ssize_t n = read(fd, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, static_cast<std::size_t>(n));
      // Every complete line: start all proposals first (so pipelined PUTs
      // share log entries), then reply in order.
      std::vector<std::variant<std::string, std::future<Result<Applied>>>> replies;
      std::size_t pos;
      while ((pos = buf.find('\n')) != std::string::npos) {
        std::string line = buf.substr(0, pos);
        buf.erase(0, pos + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("PUT ", 0) == 0) {
          replies.emplace_back(node_->Propose("put " + line.substr(4)));
        } else {
          replies.emplace_back(Handle(line));
        }
      }
      std::string out;
      for (auto& r : replies) {
        if (auto* s = std::get_if<std::string>(&r)) {
          out += *s;
        } else {
          auto res = std::get<1>(r).get();
          out += res.ok() ? "OK " + std::to_string(res->index.value()) : Err(res.status());
        }
        out += '\n';
      }
      if (!WriteAll(fd, out)) break;
    }
    close(fd);
  }

 private:
  static bool WriteAll(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
      const ssize_t n = write(fd, s.data() + done, s.size() - done);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  std::string Handle(const std::string& line) {
    const auto parts = Split(line, ' ');
    if (parts.empty()) return "ERR invalid_argument - empty request";
    const std::string& cmd = parts[0];
    if (cmd == "GET" && parts.size() == 2) {
      auto v = sm_->Get(parts[1]);
      return v ? "VAL " + *v : "NONE";
    }
    if (cmd == "STATUS") {
      const NodeInfo i = node_->Info();
      std::ostringstream o;
      o << "STATUS " << StateName(i.state) << ' ' << i.term.value() << ' '
        << (i.leader ? i.leader->id.value() : 0) << ' ' << (i.leader ? i.leader->address : "-")
        << ' ' << i.last_index.value() << ' ' << i.commit_index.value() << ' '
        << i.last_applied.value() << ' ' << i.snapshot_index.value() << ' ' << sm_->Size() << ' '
        << sm_->order_violations() << ' ' << sm_->restores();
      return o.str();
    }
    if (cmd == "BARRIER") return Wait(node_->Barrier());
    if (cmd == "ADD" && parts.size() == 3) {
      return Wait(node_->AddVoter(IdFromNodeName(parts[1]), parts[2]));
    }
    if (cmd == "REMOVE" && parts.size() == 2) {
      return Wait(node_->RemoveServer(IdFromNodeName(parts[1])));
    }
    if (cmd == "TRANSFER") {
      std::optional<RaftId> target;
      if (parts.size() == 2) target = IdFromNodeName(parts[1]);
      return Wait(node_->TransferLeadership(target));
    }
    if (cmd == "CONFIG") {
      std::string out = "CONFIG";
      for (const Server& s : node_->Configuration()) {
        out += " " + std::to_string(s.id.value()) + "=" + s.address + "=" +
               std::string(RoleName(s.role));
      }
      return out;
    }
    return "ERR invalid_argument - unknown request";
  }

  Node* node_;
  testing::KvStateMachine* sm_;
};

int Main(int argc, char** argv) {
  const Flags flags = Parse(argc, argv);
  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  logging::Configure({.node_name = flags.Get("name"), .level = spdlog::level::info});

  Options o;
  o.node_name = flags.Get("name");
  o.address = flags.Get("raft");
  o.data_dir = flags.Get("data-dir");
  o.multiplier = std::stoi(flags.Get("multiplier", "1"));
  o.snapshot_threshold =
      static_cast<std::uint32_t>(std::stoul(flags.Get("snapshot-threshold", "8192")));
  o.snapshot_trailing =
      static_cast<std::uint32_t>(std::stoul(flags.Get("snapshot-trailing", "4096")));
  o.max_batch_commands = std::stoul(flags.Get("max-batch", "1024"));
  o.max_inflight_batches =
      std::stoul(flags.Get("inflight", std::to_string(o.max_inflight_batches)));
  const int client_port = std::stoi(flags.Get("client-port", "0"));
  if (client_port <= 0) Die("--client-port is required");

  testing::KvStateMachine sm;
  auto created = Node::Create(o, &sm);
  if (!created.ok()) Die(created.status().ToString());
  std::unique_ptr<Node> node = std::move(created).value();

  if (const std::string b = flags.Get("bootstrap"); !b.empty()) {
    std::vector<Server> servers;
    for (const std::string& item : Split(b, ',')) {
      const auto eq = item.find('=');
      if (eq == std::string::npos) Die("bad --bootstrap item " + item);
      servers.push_back({IdFromNodeName(item.substr(0, eq)), item.substr(eq + 1), Role::kVoter});
    }
    if (Status st = node->Bootstrap(servers); !st.ok()) Die(st.ToString());
  }
  if (Status st = node->Start(); !st.ok()) Die(st.ToString());

  const int lfd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(client_port));
  if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(lfd, 256) != 0) {
    Die("cannot listen on client port " + std::to_string(client_port) + ": " +
        std::strerror(errno));
  }
  Driver driver(node.get(), &sm);
  std::thread([&] {
    for (;;) {
      const int fd = accept(lfd, nullptr, nullptr);
      if (fd < 0) continue;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::thread([&driver, fd] { driver.Serve(fd); }).detach();
    }
  }).detach();
  std::fprintf(stdout, "READY %s\n", o.node_name.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  logging::Get("raft")->info("signal {}: stopping", sig);
  node->Stop();
  std::fflush(nullptr);
  // Connection threads may still be blocked in read(); do not unwind them.
  std::_Exit(0);
}

}  // namespace
}  // namespace ckron::raft

int main(int argc, char** argv) {
  return ckron::raft::Main(argc, argv);
}
