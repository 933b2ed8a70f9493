// The cluster and agent endpoints: /v1 (index), members, leader, isleader,
// leave, busy, pause/unpause, stats, /health and ckron's /ready,
// /v1/raft/peers and /v1/openapi.json (dkron-spec §1.2, §16).
#include <algorithm>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "api/handlers.h"
#include "api/openapi.h"

namespace ckron::api::internal {
namespace {

// A random (version 4) UUID, as Dkron gives every member on every request.
std::string RandomUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t a = rng(), b = rng();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(a >> (8 * i));
    bytes[8 + i] = static_cast<unsigned char>(b >> (8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

// Serf's Member with Go field names (dkron-spec §2.3).
Json MemberToJson(const MemberInfo& m, bool with_ids) {
  Json o = Json::object();
  o["Name"] = m.name;
  o["Addr"] = m.addr;
  o["Port"] = m.port;
  Json tags = Json::object();
  for (const auto& [k, v] : m.tags) tags[k] = v;
  o["Tags"] = std::move(tags);
  o["Status"] = m.status;
  o["ProtocolMin"] = m.protocol[0];
  o["ProtocolMax"] = m.protocol[1];
  o["ProtocolCur"] = m.protocol[2];
  o["DelegateMin"] = m.protocol[3];
  o["DelegateMax"] = m.protocol[4];
  o["DelegateCur"] = m.protocol[5];
  if (with_ids) {
    o["id"] = RandomUuid();
    o["statusText"] = m.status_text;
  }
  return o;
}

Json StringMapJson(const std::map<std::string, std::string>& m) {
  Json o = Json::object();
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

Response Index(Backend* b, Request& req) {
  Json o = Json::object();
  o["agent"] = Json{{"name", b->node_name()}, {"version", b->version()}};
  o["serf"] = StringMapJson(b->GossipStats());
  o["tags"] = StringMapJson(b->LocalTags());
  return JsonResponse(req, 200, o);
}

Response Members(Backend* b, Request& req) {
  const std::vector<MemberInfo> members = b->Members();
  Json out = Json::array();
  for (const MemberInfo& m : members) out.push_back(MemberToJson(m, true));
  Response r = JsonResponse(req, 200, out);
  r.SetHeader("X-Total-Count", std::to_string(members.size()));
  return r;
}

Response Leader(Backend* b, Request& req) {
  const auto name = b->LeaderName();
  if (!name) return TextError(404, "no leader is known to this node");
  for (const MemberInfo& m : b->Members()) {
    if (m.name == *name) return JsonResponse(req, 200, MemberToJson(m, false));
  }
  return TextError(404, "the leader \"" + *name + "\" is not a known member");
}

Response IsLeader(Backend* b, Request& req) {
  return b->IsLeader() ? JsonResponse(req, 200, "I am a leader")
                       : JsonResponse(req, 404, "I am a follower");
}

Response Leave(Backend* b, Request& req) {
  Json out = Json::object();
  for (const auto& [region, names] : b->Peers()) out[region] = names;
  Response r = JsonResponse(req, 200, out);
  b->Leave();
  return r;
}

// ckron: the Raft configuration as this server knows it (a follower
// answers from its own copy; `leader` is its hint).
Response RaftPeers(Backend* b, Request& req) {
  const std::vector<RaftPeerInfo> peers = b->RaftPeers();
  Json out = Json::array();
  for (const RaftPeerInfo& p : peers) {
    out.push_back(Json{{"id", p.id},
                       {"name", p.name},
                       {"address", p.address},
                       {"suffrage", p.suffrage},
                       {"leader", p.leader}});
  }
  Response r = JsonResponse(req, 200, out);
  r.SetHeader("X-Total-Count", std::to_string(peers.size()));
  return r;
}

// Running executions cluster-wide: the replicated state knows every one
// (with its lease), so no server is asked over the network.
Response Busy(Backend* b, Request& req) {
  std::vector<fsm::Execution> running;
  b->state().Read([&](const fsm::State& s) {
    for (const auto& [key, r] : s.running()) {
      auto e = s.executions().Get(key.first, key.second);
      if (e) running.push_back(std::move(*e));
    }
  });
  std::stable_sort(running.begin(), running.end(),
                   [](const auto& x, const auto& y) { return x.started_at < y.started_at; });
  Json out = Json::array();
  for (fsm::Execution& e : running) {
    if (auto live = b->LiveOutput(e.job_name, e.id)) e.output = std::move(*live);
    out.push_back(ExecutionToJson(e, absl::UTCTimeZone()));
  }
  Response r = JsonResponse(req, 200, out);
  r.SetHeader("X-Total-Count", std::to_string(running.size()));
  return r;
}

Response PauseStatus(Backend* b, Request& req) {
  const bool paused = b->state().Read([](const fsm::State& s) { return s.paused(); });
  return JsonResponse(req, 200, Json{{"paused", paused}});
}

// Cluster-wide (brief): a replicated flag, not Dkron's per-node bool.
Response SetPaused(Backend* b, const ApiOptions& options, Request& req, bool paused) {
  auto outcome = b->Propose(fsm::SetPaused{paused}, WriteDeadline(options));
  if (!outcome.ok()) return ErrorResponse(outcome.status());
  if (!outcome->status.ok()) return ErrorResponse(outcome->status);
  return JsonResponse(req, 200, Json{{"paused", paused}});
}

// Dkron v4.1: daily execution counts for the last `days` days (default 30),
// oldest first, days without executions included as zeros.
Response Stats(Backend* b, Request& req) {
  long long days = 30;
  if (auto d = req.Query("days"); d && (!absl::SimpleAtoi(*d, &days) || days <= 0)) days = 30;
  days = std::min<long long>(days, fsm::kStatsDays);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  const absl::CivilDay first = today - (days - 1);
  std::map<absl::CivilDay, fsm::DayStats> stats;
  b->state().Read([&](const fsm::State& s) {
    for (auto it = s.daily_stats().lower_bound(first); it != s.daily_stats().end(); ++it) {
      stats[it->first] = it->second;
    }
  });
  Json list = Json::array();
  for (absl::CivilDay d = first; d <= today; ++d) {
    const fsm::DayStats st = stats.count(d) ? stats[d] : fsm::DayStats{};
    Json o = Json::object();
    o["date"] = FormatGoTime(absl::FromCivil(d, absl::UTCTimeZone()));
    o["success_count"] = st.success;
    o["failed_count"] = st.failed;
    list.push_back(std::move(o));
  }
  return JsonResponse(req, 200, Json{{"stats", std::move(list)}});
}

Response Health(Request& req) {
  return JsonResponse(req, 200, Json{{"status", "healthy"}});
}

// ckron: ready when this server knows a leader (it can then serve writes).
Response Ready(Backend* b, Request& req) {
  if (const auto leader = b->LeaderName()) {
    return JsonResponse(req, 200, Json{{"status", "ready"}, {"leader", *leader}});
  }
  return JsonResponse(req, 503,
                      Json{{"status", "unready"}, {"issues", Json::array({"no leader known"})}});
}

Response OpenApi(Request&) {
  Response r;
  r.body = std::string(OpenApiDocument());
  return r;
}

}  // namespace

void AddClusterRoutes(Router& router, Backend* b, const ApiOptions& o) {
  const ApiOptions* opts = &o;
  // Health and readiness answer from memory, on the I/O thread: a probe
  // must not queue behind blocking handlers.
  const auto inline_read = InlineUnlessMiddlewareBlocks(o);
  router.Add(
      "GET", "/health", [](Request& r) { return Health(r); }, inline_read);
  router.Add(
      "GET", "/ready", [b](Request& r) { return Ready(b, r); }, inline_read);
  router.Add("GET", "/v1", [b](Request& r) { return Index(b, r); });
  router.Add("GET", "/v1/openapi.json", [](Request& r) { return OpenApi(r); });
  router.Add("GET", "/v1/members", [b](Request& r) { return Members(b, r); });
  router.Add("GET", "/v1/leader", [b](Request& r) { return Leader(b, r); });
  router.Add("GET", "/v1/isleader", [b](Request& r) { return IsLeader(b, r); });
  router.Add("POST", "/v1/leave", [b](Request& r) { return Leave(b, r); });
  router.Add("GET", "/v1/raft/peers", [b](Request& r) { return RaftPeers(b, r); });
  router.Add("GET", "/v1/busy", [b](Request& r) { return Busy(b, r); });
  router.Add("GET", "/v1/pause", [b](Request& r) { return PauseStatus(b, r); });
  router.Add("POST", "/v1/pause", [b, opts](Request& r) { return SetPaused(b, *opts, r, true); });
  router.Add("POST", "/v1/unpause",
             [b, opts](Request& r) { return SetPaused(b, *opts, r, false); });
  router.Add("GET", "/v1/stats", [b](Request& r) { return Stats(b, r); });
}

}  // namespace ckron::api::internal
