#include "raft/options.h"

#include <arpa/inet.h>

#include <charconv>
#include <string>

#include "common/check.h"
#include "raft/c_api.h"

namespace ckron::raft {

std::uint32_t SnapshotThresholdFor(const Options& o) {
  const std::uint64_t spread = o.snapshot_threshold / 2;
  return o.snapshot_threshold + static_cast<std::uint32_t>(o.id.value() % (spread + 1));
}

Timeouts TimeoutsFor(int multiplier) {
  CKRON_CHECK(multiplier >= 1 && multiplier <= 10);
  return {kBaseElectionTimeout * multiplier, kBaseHeartbeatTimeout * multiplier};
}

RaftId IdFromNodeName(std::string_view node_name) {
  const std::string name(node_name);  // raft_digest wants a C string
  const unsigned long long digest = raft_digest(name.c_str(), 0);
  const std::uint64_t id = static_cast<std::uint64_t>(digest) & 0x7fff'ffff'ffff'ffffULL;
  return RaftId(id == 0 ? 1 : id);
}

std::string WithDefaultPort(std::string_view address) {
  if (address.find(':') != std::string_view::npos) return std::string(address);
  return std::string(address) + ":" + std::to_string(kDefaultPort);
}

Status ValidateAddress(std::string_view address) {
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("raft address '" + std::string(address) + "' has no port");
  }
  const std::string host(address.substr(0, colon));
  in_addr parsed{};
  if (inet_pton(AF_INET, host.c_str(), &parsed) != 1) {
    return Status::InvalidArgument("raft address '" + std::string(address) +
                                   "' must be an IPv4 literal a.b.c.d:port (libraft 0.15 "
                                   "resolves no names and no IPv6)");
  }
  const std::string_view port = address.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return Status::InvalidArgument("raft address '" + std::string(address) + "' has a bad port");
  }
  return OkStatus();
}

Status Validate(const Options& o) {
  if (o.node_name.empty()) return Status::InvalidArgument("raft: node_name is required");
  if (o.address.empty()) return Status::InvalidArgument("raft: address is required");
  CKRON_RETURN_IF_ERROR(ValidateAddress(WithDefaultPort(o.address)));
  if (!o.bind_address.empty()) {
    CKRON_RETURN_IF_ERROR(ValidateAddress(o.bind_address));
    const auto port = [](std::string_view a) { return a.substr(a.rfind(':') + 1); };
    if (port(o.bind_address) != port(WithDefaultPort(o.address))) {
      return Status::InvalidArgument("raft: bind_address must use the advertised port");
    }
  }
  if (o.data_dir.empty()) return Status::InvalidArgument("raft: data_dir is required");
  if (o.multiplier < 1 || o.multiplier > 10) {
    return Status::InvalidArgument("raft: multiplier must be 1-10, got " +
                                   std::to_string(o.multiplier));
  }
  if (o.snapshot_threshold == 0) {
    return Status::InvalidArgument("raft: snapshot_threshold must be > 0");
  }
  if (o.max_batch_commands == 0 || o.max_batch_bytes == 0 || o.max_inflight_batches == 0 ||
      o.max_queued_proposals == 0 || o.max_command_bytes == 0) {
    return Status::InvalidArgument("raft: batch and queue bounds must be > 0");
  }
  if (o.segment_size < (std::size_t{8} << 20) || o.segment_size % 4096 != 0) {
    return Status::InvalidArgument(
        "raft: segment_size must be a multiple of 4096 and at least 8 MiB, got " +
        std::to_string(o.segment_size));
  }
  if (o.snapshot_buffer_bytes < 4096) {
    return Status::InvalidArgument("raft: snapshot_buffer_bytes must be >= 4096");
  }
  if (o.connect_retry_delay.count() <= 0 || o.max_catch_up_round_duration.count() <= 0) {
    return Status::InvalidArgument("raft: delays must be > 0");
  }
  return OkStatus();
}

}  // namespace ckron::raft
