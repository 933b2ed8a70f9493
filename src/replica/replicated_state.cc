#include "replica/replicated_state.h"

#include "common/check.h"

namespace ckron::replica {
namespace {

// Serializes a captured view into Raft's snapshot sink on a worker thread.
class ViewSource final : public raft::SnapshotSource {
 public:
  explicit ViewSource(fsm::SnapshotView view) : view_(std::move(view)) {}

  Status WriteTo(raft::SnapshotSink& sink) override {
    Status status;
    fsm::WriteSnapshot(view_, [&](std::string chunk) {
      if (status.ok()) status = sink.Write(chunk);
    });
    return status;
  }

 private:
  fsm::SnapshotView view_;
};

}  // namespace

ReplicatedState::ReplicatedState(fsm::ExecutionStore* store) : state_(store) {}

void ReplicatedState::AddSink(EventSink* sink) {
  sinks_.push_back(sink);
}

LogIndex ReplicatedState::applied() const {
  std::shared_lock lock(mu_);
  return applied_;
}

raft::ApplyOutput ReplicatedState::Apply(const raft::ApplyContext& context,
                                         std::string_view command) {
  auto entry = fsm::DecodeEntry(command);
  // A committed entry we cannot read means corruption or a server too old
  // for the log: stop rather than diverge from the other servers.
  CKRON_CHECK_MSG(entry.ok(), "cannot apply log entry " + std::to_string(context.index.value()) +
                                  ": " + entry.status().ToString());
  // The command's kind, before Apply consumes the command.
  const bool carries_job = fsm::OutcomeCarriesJob(entry->command);
  const absl::Time proposed = entry->now;
  fsm::ApplyResult result;
  {
    std::unique_lock lock(mu_);
    result = fsm::Apply(state_, std::move(*entry));
    applied_ = context.index;
  }
  // The sinks hear an entry's events at once, after its last command: a
  // group-committed entry of a thousand fires wakes each sink's thread once,
  // not a thousand times.
  if (entry_events_.empty()) {
    entry_events_ = std::move(result.events);
  } else {
    for (fsm::Event& e : result.events) entry_events_.push_back(std::move(e));
  }
  for (EventSink* sink : sinks_) sink->OnApplied(context, proposed);
  if (context.position + 1 >= context.count && !entry_events_.empty()) {
    for (EventSink* sink : sinks_) sink->OnEvents(context.index, entry_events_);
    entry_events_.clear();
  }
  // Only for a proposer waiting here, and the job only for one that reads
  // it. In memory: a proposer on another server gets it encoded by the
  // Cluster service (EncodedOutcomeOf).
  if (!context.result_wanted) return {};
  if (!carries_job) result.job.reset();
  return {{}, fsm::Outcome{std::move(result.status), std::move(result.job)}};
}

Result<std::unique_ptr<raft::SnapshotSource>> ReplicatedState::PrepareSnapshot(LogIndex) {
  std::shared_lock lock(mu_);
  return std::unique_ptr<raft::SnapshotSource>(
      std::make_unique<ViewSource>(fsm::TakeSnapshotView(state_)));
}

Status ReplicatedState::Restore(LogIndex last_included, raft::SnapshotReader& reader) {
  std::string_view chunk;
  if (!reader.Next(&chunk)) return Status::InvalidArgument("snapshot has no data");
  {
    std::unique_lock lock(mu_);
    // Check the stream's start before clearing anything, so a snapshot from
    // a newer server leaves the state as it was.
    CKRON_RETURN_IF_ERROR(fsm::CheckSnapshotStart(chunk));
    fsm::SnapshotReader restore(&state_);
    Status s = restore.Feed(chunk);
    while (s.ok() && reader.Next(&chunk)) s = restore.Feed(chunk);
    if (s.ok()) s = restore.Finish();
    // The chunks were checksummed by Raft; an unreadable snapshot after the
    // state was cleared cannot be undone.
    CKRON_CHECK_MSG(s.ok(), "cannot restore snapshot " + std::to_string(last_included.value()) +
                                ": " + s.ToString());
    applied_ = last_included;
  }
  for (EventSink* sink : sinks_) sink->OnRestored(last_included);
  return OkStatus();
}

std::string EncodeCommand(absl::Time now, fsm::Command command) {
  return fsm::EncodeEntry(fsm::Entry{now, std::move(command)});
}

namespace {

fsm::Outcome OutcomeOf(const std::string& bytes, const std::any& object) {
  if (const auto* outcome = std::any_cast<fsm::Outcome>(&object)) return *outcome;
  return fsm::DecodeOutcome(bytes);
}

}  // namespace

fsm::Outcome OutcomeOf(const raft::Applied& applied) {
  return OutcomeOf(applied.result, applied.object);
}

fsm::Outcome OutcomeOf(const raft::ApplyOutput& output) {
  return OutcomeOf(output.bytes, output.object);
}

std::string EncodedOutcomeOf(raft::Applied&& applied) {
  if (const auto* outcome = std::any_cast<fsm::Outcome>(&applied.object)) {
    return fsm::EncodeOutcome(*outcome);
  }
  return std::move(applied.result);
}

}  // namespace ckron::replica
