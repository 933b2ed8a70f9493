#include "raft/testing/driver_cluster.h"

#include <signal.h>

#include <sstream>
#include <thread>

#include "raft/testing/test_env.h"

namespace ckron::raft::testing {

using namespace std::chrono_literals;

Result<DriverStatus> ParseDriverStatus(const std::string& line) {
  std::istringstream in(line);
  std::string tag;
  DriverStatus s;
  in >> tag >> s.state >> s.term >> s.leader_id >> s.leader_address >> s.last_index >>
      s.commit_index >> s.last_applied >> s.snapshot_index >> s.keys >> s.order_violations >>
      s.restores;
  if (tag != "STATUS" || in.fail()) return Status::Internal("bad STATUS reply: " + line);
  if (s.leader_address == "-") s.leader_address.clear();
  return s;
}

DriverCluster::DriverCluster(ClusterOptions options) : options_(std::move(options)) {}

DriverCluster::~DriverCluster() {
  for (Slot& s : nodes_) s.process.Kill();
}

int DriverCluster::AddSlot() {
  Slot s;
  s.name = "n" + std::to_string(nodes_.size());
  s.raft_port = FreeTcpPort();
  s.client_port = FreeTcpPort();
  nodes_.push_back(std::move(s));
  std::filesystem::create_directories(data_dir(size() - 1));
  return size() - 1;
}

std::string DriverCluster::raft_address(int i) const {
  return "127.0.0.1:" + std::to_string(nodes_[static_cast<std::size_t>(i)].raft_port);
}

std::filesystem::path DriverCluster::data_dir(int i) const {
  return options_.root / name(i);
}

std::filesystem::path DriverCluster::log_path(int i) const {
  return options_.root / (name(i) + ".log");
}

Status DriverCluster::Start(int i, const std::vector<int>& bootstrap_members,
                            std::chrono::milliseconds timeout) {
  Slot& s = nodes_[static_cast<std::size_t>(i)];
  if (s.process.Running()) return Status::FailedPrecondition(s.name + " is running");
  s.client.Close();
  std::vector<std::string> argv = {options_.driver,
                                   "--name",
                                   s.name,
                                   "--raft",
                                   raft_address(i),
                                   "--client-port",
                                   std::to_string(s.client_port),
                                   "--data-dir",
                                   data_dir(i).string(),
                                   "--multiplier",
                                   std::to_string(options_.multiplier),
                                   "--snapshot-threshold",
                                   std::to_string(options_.snapshot_threshold),
                                   "--snapshot-trailing",
                                   std::to_string(options_.snapshot_trailing)};
  if (!bootstrap_members.empty()) {
    std::string list;
    for (int m : bootstrap_members) {
      if (!list.empty()) list += ",";
      list += name(m) + "=" + raft_address(m);
    }
    argv.push_back("--bootstrap");
    argv.push_back(list);
  }
  for (const std::string& a : options_.extra_args) argv.push_back(a);
  CKRON_ASSIGN_OR_RETURN(s.process, Process::Spawn(argv, log_path(i)));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!s.process.Running()) {
      return Status::Unavailable(s.name + " exited at start: " + TailFile(log_path(i)));
    }
    auto c = LineClient::Connect(s.client_port, 50ms);
    if (c.ok()) {
      s.client = std::move(c).value();
      return OkStatus();
    }
  }
  return Status::Timeout(s.name + " did not open its client port: " + TailFile(log_path(i)));
}

Status DriverCluster::StartCluster(int n) {
  std::vector<int> members;
  for (int i = 0; i < n; ++i) members.push_back(AddSlot());
  for (int i : members) CKRON_RETURN_IF_ERROR(Start(i, members));
  return OkStatus();
}

void DriverCluster::Kill(int i) {
  Slot& s = nodes_[static_cast<std::size_t>(i)];
  s.client.Close();
  s.process.Kill();
}

bool DriverCluster::Terminate(int i) {
  Slot& s = nodes_[static_cast<std::size_t>(i)];
  s.client.Close();
  return s.process.Terminate(10s);
}

bool DriverCluster::Running(int i) {
  return nodes_[static_cast<std::size_t>(i)].process.Running();
}

Result<std::string> DriverCluster::Call(int i, const std::string& line,
                                        std::chrono::milliseconds timeout) {
  Slot& s = nodes_[static_cast<std::size_t>(i)];
  if (!s.process.Running()) return Status::Unavailable(s.name + " is not running");
  if (!s.client.connected()) {
    CKRON_ASSIGN_OR_RETURN(s.client, LineClient::Connect(s.client_port, 1s));
  }
  return s.client.Call(line, timeout);
}

Result<DriverStatus> DriverCluster::NodeStatus(int i) {
  CKRON_ASSIGN_OR_RETURN(std::string line, Call(i, "STATUS", 2s));
  return ParseDriverStatus(line);
}

int DriverCluster::Leader() {
  int best = -1;
  std::uint64_t best_term = 0;
  for (int i = 0; i < size(); ++i) {
    auto st = NodeStatus(i);
    if (st.ok() && st->state == "leader" && (best < 0 || st->term > best_term)) {
      best = i;
      best_term = st->term;
    }
  }
  return best;
}

int DriverCluster::WaitForLeader(std::chrono::milliseconds timeout, int not_this) {
  int found = -1;
  WaitFor(
      [&] {
        const int l = Leader();
        if (l >= 0 && l != not_this) found = l;
        return found >= 0;
      },
      timeout, 10ms);
  return found;
}

int DriverCluster::IndexOfRaftAddress(const std::string& address) const {
  for (int i = 0; i < size(); ++i) {
    if (raft_address(i) == address) return i;
  }
  return -1;
}

Result<std::string> DriverCluster::Put(const std::string& key, const std::string& value,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int target = Leader();
  std::string last = "no leader";
  while (std::chrono::steady_clock::now() < deadline) {
    if (target < 0) {
      std::this_thread::sleep_for(10ms);
      target = Leader();
      continue;
    }
    auto reply = Call(target, "PUT " + key + " " + value, 5s);
    if (reply.ok() && reply->rfind("OK", 0) == 0) return reply;
    last = reply.ok() ? *reply : reply.status().ToString();
    int next = -1;
    if (reply.ok() && reply->rfind("ERR not_leader ", 0) == 0) {
      std::istringstream in(*reply);
      std::string err, code, hint;
      in >> err >> code >> hint;
      next = IndexOfRaftAddress(hint);
    }
    if (next < 0) {
      std::this_thread::sleep_for(10ms);
      next = Leader();
    }
    target = next;
  }
  return Status::Timeout("PUT " + key + " not acknowledged: " + last);
}

std::string DriverCluster::Describe() {
  std::string out;
  for (int i = 0; i < size(); ++i) {
    auto st = Call(i, "STATUS", 1s);
    out += "--- " + name(i) + " (" + raft_address(i) + ", pid " +
           std::to_string(nodes_[static_cast<std::size_t>(i)].process.pid()) +
           "): " + (st.ok() ? *st : st.status().ToString()) + "\n" + TailFile(log_path(i), 1500) +
           "\n";
  }
  return out;
}

}  // namespace ckron::raft::testing
