// Options of a Raft node, with their defaults and what each one trades off.
// See docs/raft.md for the reasoning behind the defaults.
//
// Thread safety: plain values; the free functions are pure and thread-safe.
#ifndef CKRON_RAFT_OPTIONS_H_
#define CKRON_RAFT_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "common/ids.h"
#include "common/status.h"

namespace ckron::raft {

// Dkron's Raft port (`--raft-port`), used when an address has no port.
inline constexpr std::uint16_t kDefaultPort = 8190;

// Election and heartbeat timeouts at `--raft-multiplier` 1. Each is multiplied
// by the multiplier (1-10). libraft randomises the election timeout in
// [T, 2T]. At 300/50 ms, deps.md §1 measured leader failover (SIGKILL ->
// first write committed by the new leader) at 0.55-0.64 s on 127.0.0.1; the
// product target is <= 1.5 s. Larger multipliers trade failover time for
// tolerance of slow disks/CPUs (fewer spurious elections).
inline constexpr std::chrono::milliseconds kBaseElectionTimeout{300};
inline constexpr std::chrono::milliseconds kBaseHeartbeatTimeout{50};

struct Timeouts {
  std::chrono::milliseconds election;
  std::chrono::milliseconds heartbeat;
};

// kBase* x multiplier. REQUIRES: 1 <= multiplier <= 10.
Timeouts TimeoutsFor(int multiplier);

// The Raft server id of a node, derived from its (cluster-unique) node name:
// the low 63 bits of libraft's raft_digest(name, 0) (the last 8 bytes of
// SHA-1(name || 0 as 8 bytes)), or 1 if that is 0. Stable across versions and
// machines, so every node computes the same id for a peer from its name; 63
// bits so the id survives signed-64-bit JSON/protobuf consumers.
RaftId IdFromNodeName(std::string_view node_name);

// "host" -> "host:8190"; "host:port" unchanged. Does not validate.
std::string WithDefaultPort(std::string_view address);

// OK if `address` is "a.b.c.d:port" with an IPv4 literal and port 1-65535
// (libraft 0.15's TCP transport accepts nothing else: no names, no IPv6).
Status ValidateAddress(std::string_view address);

struct Options {
  // Required. The node's name; also the source of `id` when id is 0.
  std::string node_name;

  // 0 = IdFromNodeName(node_name). Must be the same on every start.
  RaftId id{0};

  // Required. The address peers reach this node at, "a.b.c.d[:port]"
  // (port defaults to kDefaultPort).
  std::string address;

  // Where to listen, "a.b.c.d:port", e.g. "0.0.0.0:8190". "" = `address`.
  // The port must equal the advertised one (libraft requirement).
  std::string bind_address;

  // Required. The node's --data-dir. Raft keeps its log, metadata and
  // snapshots in `<data_dir>/raft` (created if missing), and reads the
  // operator's quorum-loss recovery file `<data_dir>/raft/peers.json`
  // (docs/raft.md "Recovering from quorum loss").
  std::filesystem::path data_dir;

  // `--raft-multiplier`, 1-10: scales election and heartbeat timeouts
  // (TimeoutsFor). 1 = fastest failover.
  int multiplier = 1;

  // Pre-vote (Raft thesis §9.6): a partitioned server that rejoins cannot
  // depose a healthy leader. Costs one extra round trip per election.
  bool pre_vote = true;

  // Take a snapshot after this many log entries since the last one (plus
  // this server's offset: SnapshotThresholdFor). Each entry is a batch of
  // up to max_batch_commands commands. Lower = smaller log and faster
  // restart, more snapshot work.
  std::uint32_t snapshot_threshold = 8192;

  // Entries kept after a snapshot so that slightly lagging followers catch up
  // from the log instead of needing the whole snapshot.
  std::uint32_t snapshot_trailing = 4096;

  // Size of a log segment file. When one fills, libraft closes its
  // kernel AIO context (io_destroy), which blocks the raft loop for an RCU
  // grace period (~30 ms on a 2-core VM): every segment costs a stall
  // of the loop on every server at about the same index. 64 MiB (etcd's
  // WAL segment size) makes that one stall per 64 MiB of log instead of
  // per 8 MiB (libraft's default). Disk: two segments are preallocated.
  // A multiple of 4096.
  std::size_t segment_size = std::size_t{64} << 20;

  // Delay between reconnection attempts to a peer. Lower = a restarted peer
  // is caught up sooner; more connect attempts while it is down.
  std::chrono::milliseconds connect_retry_delay{100};

  // Group commit: queued proposals are packed into one log entry of at most
  // this many commands / bytes of payload (a command larger than
  // max_batch_bytes travels alone). Larger = fewer entries under load.
  std::size_t max_batch_commands = 1024;
  std::size_t max_batch_bytes = std::size_t{1} << 20;

  // Entries proposed but not yet applied, at most. While this many are in
  // flight new proposals wait in the queue, which is what lets concurrent
  // proposers share entries. 1 would serialise; large values make every
  // entry tiny.
  std::size_t max_inflight_batches = 2;

  // Bound of the proposal queue. When full, Propose fails at once with
  // kResourceExhausted (it never blocks).
  std::size_t max_queued_proposals = 16384;

  // A single command larger than this is refused with kInvalidArgument.
  std::size_t max_command_bytes = std::size_t{16} << 20;

  // Snapshot chunks are packed into buffers of about this size before libraft
  // writes them; never one buffer for the whole snapshot.
  std::size_t snapshot_buffer_bytes = std::size_t{4} << 20;

  // Promotion of a new voter: catch-up rounds and the longest round before
  // AddVoter gives up with kUnavailable (libraft defaults 10 / 5 s).
  unsigned max_catch_up_rounds = 10;
  std::chrono::milliseconds max_catch_up_round_duration{5000};

  // Called on the raft loop thread when durable storage failed (a log append,
  // a metadata write or a snapshot write returned an error). The node has
  // already stopped accepting work. Default (empty): log and abort the
  // process -- fail-stop (style.md §15), because continuing could acknowledge
  // writes that are not on disk. Tests install a recorder instead.
  std::function<void(const Status&)> on_fatal_storage_error;
};

// kInvalidArgument naming the first bad field, else OK. Fills nothing in.
Status Validate(const Options& options);

// The snapshot threshold this server uses: options.snapshot_threshold plus
// an offset of up to half of it derived from its id. The servers apply the
// same log, so with one threshold they would all snapshot at the same index
// and take CPU and disk bandwidth at the same moment; apart, a follower
// snapshotting alone does not slow commits (the leader and the other
// follower make the quorum).
std::uint32_t SnapshotThresholdFor(const Options& options);

}  // namespace ckron::raft

#endif  // CKRON_RAFT_OPTIONS_H_
