// A test-only driver: one ckron gossip node as its own process, until
// `ckron agent` wires membership in. Events go to stdout as JSON lines; the
// member directory is rewritten to --status-file every 100 ms; SIGTERM
// leaves gracefully, SIGKILL is a crash.
//
//   ckron_member_node --name n1 --bind 127.0.0.1:7946 [--join a:p]...
//       [--retry-join a:p --retry-max N --retry-interval-ms N]
//       [--encrypt KEY] [--profile lan|wan|local] [--tag k=v]... [--status-file F]
//       [--coalesce-ms N --quiescent-ms N]   (member and user events; 0 = off)
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/log.h"
#include "membership/membership.h"

using namespace ckron::membership;

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) {
  g_stop = 1;
}

nlohmann::json ToJson(const MemberInfo& m) {
  return {{"name", m.name},
          {"addr", m.addr},
          {"port", m.port},
          {"tags", m.tags},
          {"status", MemberStateName(m.status)},
          {"rpc_addr", m.rpc_addr}};
}
}  // namespace

int main(int argc, char** argv) {
  MembershipOptions o;
  std::string status_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--name")
      o.node_name = v;
    else if (k == "--bind")
      o.bind_addr = v;
    else if (k == "--advertise")
      o.advertise_addr = v;
    else if (k == "--join")
      o.join.push_back(v);
    else if (k == "--retry-join")
      o.retry_join.push_back(v);
    else if (k == "--retry-max")
      o.retry_max = std::stoi(v);
    else if (k == "--retry-interval-ms")
      o.retry_interval = std::chrono::milliseconds(std::stoi(v));
    else if (k == "--encrypt")
      o.keys.push_back(v);
    else if (k == "--profile")
      o.profile = v;
    else if (k == "--status-file")
      status_file = v;
    else if (k == "--coalesce-ms")
      o.coalesce_period = o.user_coalesce_period = std::chrono::milliseconds(std::stoi(v));
    else if (k == "--quiescent-ms")
      o.quiescent_period = o.user_quiescent_period = std::chrono::milliseconds(std::stoi(v));
    else if (k == "--tag") {
      const auto eq = v.find('=');
      o.tags[v.substr(0, eq)] = eq == std::string::npos ? "" : v.substr(eq + 1);
    } else {
      std::cerr << "unknown flag " << k << "\n";
      return 2;
    }
  }
  ckron::logging::Configure({.node_name = o.node_name, .level = spdlog::level::info});
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  auto m = Membership::Start(o);
  if (!m.ok()) {
    std::cerr << "start failed: " << m.status().ToString() << "\n";
    return 1;
  }
  auto sub = (*m)->Subscribe();
  std::cout << nlohmann::json{{"event", "started"}, {"addr", (*m)->bound_addr()}}.dump()
            << std::endl;
  auto write_status = [&] {
    if (status_file.empty()) return;
    nlohmann::json members = nlohmann::json::array();
    for (const auto& mem : (*m)->Members()) members.push_back(ToJson(mem));
    auto st = (*m)->Stats();
    nlohmann::json doc = {{"members", members},
                          {"stats",
                           {{"dropped_malformed", st.packets_dropped_malformed},
                            {"dropped_decrypt", st.packets_dropped_decrypt},
                            {"streams_rejected", st.streams_rejected}}}};
    const std::string tmp = status_file + ".tmp";
    std::ofstream(tmp) << doc.dump();
    std::rename(tmp.c_str(), status_file.c_str());
  };
  while (!g_stop) {
    while (auto e = sub->Next(std::chrono::milliseconds(100))) {
      nlohmann::json j = {{"event", MemberEventTypeName(e->type)}};
      if (e->type == MemberEvent::Type::kUser) {
        j["name"] = e->name;
        j["payload"] = e->payload;
      } else {
        j["member"] = ToJson(e->member);
      }
      std::cout << j.dump() << std::endl;
      write_status();
    }
    write_status();
  }
  ckron::Status s = (*m)->Leave(std::chrono::seconds(10));
  write_status();
  std::cout << nlohmann::json{{"event", "left"}, {"ok", s.ok()}}.dump() << std::endl;
  return 0;
}
