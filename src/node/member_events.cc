#include "node/member_events.h"

#include <chrono>

#include "common/log.h"

namespace ckron::node {

MemberEventPump::MemberEventPump(membership::Membership* members, std::vector<Handler> handlers)
    : handlers_(std::move(handlers)), subscription_(members->Subscribe()) {
  thread_ = std::thread([this] { RunLoop(); });
}

MemberEventPump::~MemberEventPump() {
  Stop();
}

void MemberEventPump::Stop() {
  stopping_ = true;
  subscription_->Close();
  if (thread_.joinable()) thread_.join();
}

void MemberEventPump::RunLoop() {
  auto log = logging::Get("gossip");
  std::uint64_t dropped = 0;
  // Next() returns nullopt on timeout or once Stop() closed the queue; the
  // timeout only bounds how long a close can go unnoticed.
  while (true) {
    auto e = subscription_->Next(std::chrono::milliseconds(1000));
    if (!e) {
      if (stopping_) return;
      continue;
    }
    if (const std::uint64_t d = subscription_->dropped(); d != dropped) {
      log->warn("gossip: {} member events were dropped (slow consumer); reconcile catches up",
                d - dropped);
      dropped = d;
    }
    if (e->type != membership::MemberEvent::Type::kUser) {
      log->info("gossip: {} {} ({}:{}, status {})", membership::MemberEventTypeName(e->type),
                e->member.name, e->member.addr, e->member.port,
                membership::MemberStateName(e->member.status));
    }
    for (const Handler& h : handlers_) h(*e);
  }
}

}  // namespace ckron::node
