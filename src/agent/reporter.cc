#include "agent/reporter.h"

#include <algorithm>
#include <set>
#include <thread>
#include <utility>

#include "common/log.h"
#include "membership/membership.h"

namespace ckron::agent {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("agent");
}

// Capped, so that an "infinite" duration added to now() cannot overflow.
std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(std::clamp(d, absl::ZeroDuration(), absl::Hours(24 * 365))));
}

// Answers that no retry can change.
bool IsFinal(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound;
}

// Consecutive leader hints followed without waiting, so two servers that
// point at each other cannot spin the loop.
constexpr int kMaxHintHops = 3;

}  // namespace

ServerLister GossipServers(const membership::Membership* members) {
  return [members] {
    std::vector<membership::MemberInfo> alive = members->AliveMembers();
    std::sort(alive.begin(), alive.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    std::vector<ServerAddress> out;
    for (const membership::MemberInfo& m : alive) {
      auto tag = [&m](const char* key) {
        auto it = m.tags.find(key);
        return it == m.tags.end() ? std::string() : it->second;
      };
      // dkron/utils.go isServer: role=dkron and server=true.
      if (tag("role") != "dkron" || tag("server") != "true" || m.rpc_addr.empty()) continue;
      out.push_back({.rpc_addr = m.rpc_addr, .raft_addr = tag("raft_addr")});
    }
    return out;
  };
}

Reporter::Reporter(rpc::ExecutionsClient* client, ServerLister servers, RunningLister running,
                   ReporterOptions options)
    : client_(client),
      servers_(std::move(servers)),
      running_(std::move(running)),
      options_(std::move(options)) {
  CKRON_CHECK(client_ != nullptr && servers_ && running_);
  CKRON_CHECK(!options_.node_name.empty() && options_.max_pending > 0);
  CKRON_CHECK(options_.lease > absl::ZeroDuration());
}

Reporter::~Reporter() {
  (void)Flush(absl::ZeroDuration());
}

void Reporter::Start() {
  std::lock_guard lock(mu_);
  CKRON_CHECK_MSG(!thread_.joinable() && !stopping_, "Reporter started twice or after Flush");
  thread_ = std::thread(&Reporter::RunReportLoop, this);
}

void Reporter::Deliver(fsm::Execution execution) {
  {
    std::lock_guard lock(mu_);
    ++stats_.delivered;
    if (queue_.size() >= options_.max_pending) {
      const fsm::Execution& lost = queue_.front().execution;
      Log()->error(
          "reporter: {} reports are waiting for a server; dropping the oldest, execution {} of "
          "job {} (its lease will expire on the leader)",
          queue_.size(), lost.id, lost.job_name);
      queue_.pop_front();
      ++stats_.overflowed;
    }
    queue_.push_back({next_seq_++, std::move(execution)});
  }
  wake_.notify_all();
}

Status Reporter::Flush(absl::Duration timeout) {
  bool first = false;
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      first = true;
      stopping_ = true;
      flush_deadline_ = std::chrono::steady_clock::now() + ToSteady(timeout);
    }
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  if (queue_.empty()) return OkStatus();
  if (!first) {
    return Status::Timeout(std::to_string(queue_.size()) +
                           " execution report(s) were not acknowledged before the flush deadline");
  }
  std::string ids;
  for (std::size_t i = 0; i < queue_.size() && i < 10; ++i) {
    ids += (i ? ", " : "") + queue_[i].execution.id;
  }
  Log()->error("reporter: stopping with {} unacknowledged report(s): {}{}", queue_.size(), ids,
               queue_.size() > 10 ? ", ..." : "");
  return Status::Timeout(std::to_string(queue_.size()) +
                         " execution report(s) were not acknowledged before the flush deadline");
}

ReporterStats Reporter::stats() const {
  std::lock_guard lock(mu_);
  ReporterStats s = stats_;
  s.pending = queue_.size();
  return s;
}

void Reporter::RunReportLoop() {
  using SteadyClock = std::chrono::steady_clock;
  const auto renew_every = ToSteady(options_.lease / 3);
  SteadyTime next_renew = SteadyClock::now() + renew_every;
  SteadyTime next_report = SteadyClock::now();
  absl::Duration backoff = options_.initial_backoff;
  int hops = 0;
  std::unique_lock lock(mu_);
  while (true) {
    const SteadyTime now = SteadyClock::now();
    if (stopping_ && (queue_.empty() || now >= flush_deadline_)) break;
    SteadyTime deadline = now + ToSteady(options_.call_timeout);
    if (stopping_) deadline = std::min(deadline, flush_deadline_);
    const absl::Time call_deadline = absl::Now() + absl::FromChrono(deadline - now);

    if (now >= next_renew) {
      const std::vector<rpc::LeaseRef> leases = LeasesToRenew();  // needs mu_, held here
      lock.unlock();
      const bool renewed = RenewOnce(leases, call_deadline);
      lock.lock();
      if (renewed && !leases.empty()) ++stats_.renewals;
      next_renew = SteadyClock::now() + (renewed ? renew_every : ToSteady(options_.renew_retry));
      continue;
    }
    if (!queue_.empty() && now >= next_report) {
      const std::size_t n = BatchSize();
      const std::vector<Pending> batch(queue_.begin(),
                                       queue_.begin() + static_cast<std::ptrdiff_t>(n));
      stats_.attempts += n;
      lock.unlock();
      bool followed_hint = false;
      const std::vector<Status> results = ReportBatch(batch, call_deadline, &followed_hint);
      lock.lock();
      bool retry = false;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const Status& s = results[i];
        if (!s.ok() && !IsFinal(s)) {
          retry = true;
          continue;
        }
        if (s.ok()) {
          ++stats_.acknowledged;
        } else {
          ++stats_.rejected;
          Log()->error("reporter: server refused the report of execution {} of job {}: {}",
                       batch[i].execution.id, batch[i].execution.job_name, s.ToString());
        }
        // Deliver() may have dropped it meanwhile (overflow); the queue is
        // in seq order.
        auto it = std::lower_bound(queue_.begin(), queue_.end(), batch[i].seq,
                                   [](const Pending& p, std::uint64_t seq) { return p.seq < seq; });
        if (it != queue_.end() && it->seq == batch[i].seq) queue_.erase(it);
      }
      if (!retry) {
        backoff = options_.initial_backoff;
        hops = 0;
        next_report = SteadyClock::now();
      } else if (followed_hint && ++hops <= kMaxHintHops) {
        next_report = SteadyClock::now();
      } else {
        hops = 0;
        next_report = SteadyClock::now() + ToSteady(backoff);
        backoff = std::min(backoff * 2, options_.max_backoff);
      }
      continue;
    }
    SteadyTime wake = next_renew;
    if (!queue_.empty()) wake = std::min(wake, next_report);
    if (stopping_) wake = std::min(wake, flush_deadline_);
    wake_.wait_until(lock, wake);
  }
}

std::size_t Reporter::BatchSize() const {
  if (!window_open_) return std::min<std::size_t>(queue_.size(), 1);
  // Rough size of one report on the wire: its output plus the fixed fields.
  constexpr std::size_t kOverhead = 256;
  const std::size_t max = std::max<std::size_t>(options_.max_batch, 1);
  std::size_t n = 0, bytes = 0;
  for (const Pending& p : queue_) {
    bytes += p.execution.output.size() + kOverhead;
    if (n == max || (n > 0 && bytes > options_.max_batch_bytes)) break;
    ++n;
  }
  return n;
}

std::vector<rpc::LeaseRef> Reporter::LeasesToRenew() {
  // Called with mu_ held (queue_); running_ takes only the run table's lock.
  std::vector<rpc::LeaseRef> out = running_();
  std::set<std::string> ids;
  for (const rpc::LeaseRef& r : out) ids.insert(r.execution_id);
  for (const Pending& p : queue_) {
    if (ids.insert(p.execution.id).second) {
      out.push_back({.job_name = p.execution.job_name, .execution_id = p.execution.id});
    }
  }
  return out;
}

std::vector<Status> Reporter::ReportBatch(const std::vector<Pending>& batch, absl::Time deadline,
                                          bool* followed_hint) {
  const std::string address = PickServer();
  if (address.empty()) {
    window_open_ = false;
    return std::vector<Status>(batch.size(),
                               Status::Unavailable("no alive server with an rpc_addr is known"));
  }
  std::vector<const fsm::Execution*> executions;
  executions.reserve(batch.size());
  for (const Pending& p : batch) executions.push_back(&p.execution);
  std::vector<Status> results = client_->ReportMany(address, executions, deadline);
  // Steer by the first failure that a retry may fix, else by the outcome.
  const Status* steer = nullptr;
  bool any_ok = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Status& s = results[i];
    any_ok = any_ok || s.ok();
    if (!s.ok() && !IsFinal(s) && steer == nullptr) {
      steer = &s;
      Log()->warn("reporter: report of execution {} of job {} to {}: {}{}", batch[i].execution.id,
                  batch[i].execution.job_name, address, s.ToString(),
                  batch.size() > 1 ? " (and maybe others of the same batch)" : "");
    }
  }
  const Status ok = OkStatus();
  if (steer == nullptr) steer = any_ok ? &ok : &results[0];
  *followed_hint = Steer(address, *steer);
  window_open_ = steer->ok();
  return results;
}

bool Reporter::RenewOnce(const std::vector<rpc::LeaseRef>& leases, absl::Time deadline) {
  if (leases.empty()) return true;
  const std::string address = PickServer();
  if (address.empty()) return false;
  Result<absl::Time> until = client_->RenewLeases(address, options_.node_name, leases, deadline);
  if (!until.ok()) {
    Log()->warn("reporter: renewing {} lease(s) at {}: {}", leases.size(), address,
                until.status().ToString());
  }
  Steer(address, until.status());
  return until.ok();
}

std::string Reporter::PickServer() {
  const std::vector<ServerAddress> servers = servers_();
  if (servers.empty()) return "";
  for (const ServerAddress& s : servers) {
    if (!preferred_.empty() && s.rpc_addr == preferred_) return preferred_;
  }
  preferred_.clear();
  return servers[rotation_ % servers.size()].rpc_addr;
}

bool Reporter::Steer(const std::string& address, const Status& status) {
  if (status.ok()) {
    preferred_ = address;
    return false;
  }
  if (status.code() == StatusCode::kNotLeader && !status.leader_hint().empty()) {
    for (const ServerAddress& s : servers_()) {
      const std::string& hint = status.leader_hint();
      if ((s.rpc_addr == hint || s.raft_addr == hint) && s.rpc_addr != address) {
        preferred_ = s.rpc_addr;
        return true;
      }
    }
  }
  if (IsFinal(status)) return false;  // the server is fine; the report is not
  preferred_.clear();
  ++rotation_;
  return false;
}

}  // namespace ckron::agent
