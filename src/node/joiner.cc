#include "node/joiner.h"

#include "absl/strings/str_join.h"
#include "common/log.h"

namespace ckron::node {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  return logging::Get("gossip");
}

}  // namespace

Joiner::Joiner(JoinOptions options, membership::Membership* members,
               std::function<void(const std::string&)> on_give_up)
    : options_(std::move(options)), members_(members), on_give_up_(std::move(on_give_up)) {}

Joiner::~Joiner() {
  Stop();
}

void Joiner::Start() {
  if (!options_.join.empty()) {
    const std::string to = absl::StrJoin(options_.join, ", ");
    auto r = members_->Join(options_.join);
    if (r.ok()) {
      Log()->info("gossip: joined the cluster through {} of: {}", *r, to);
    } else {
      Log()->warn("gossip: join through {} failed: {}", to, r.status().message());
    }
  }
  if (!options_.retry_join.empty()) thread_ = std::thread([this] { RetryLoop(); });
}

void Joiner::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Joiner::RetryLoop() {
  const std::string to = absl::StrJoin(options_.retry_join, ", ");
  for (int attempt = 1;; ++attempt) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    auto r = members_->Join(options_.retry_join);
    if (r.ok()) {
      Log()->info("gossip: retry-join through {} succeeded after {} attempt(s)", to, attempt);
      return;
    }
    Log()->warn("gossip: retry-join attempt {} through {} failed: {}", attempt, to,
                r.status().message());
    if (options_.retry_max > 0 && attempt >= options_.retry_max) {
      const std::string reason = "retry-join through " + to + " failed " + std::to_string(attempt) +
                                 " time(s): " + r.status().message();
      Log()->error("gossip: giving up: {}", reason);
      on_give_up_(reason);
      return;
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, options_.retry_interval, [this] { return stop_; })) return;
  }
}

}  // namespace ckron::node
