#include "fsm/codec.h"

#include "ckron/v1/fsm.pb.h"
#include "google/protobuf/io/coded_stream.h"

namespace ckron::fsm {
namespace {

namespace pb = ::ckron::v1::fsm;

std::int64_t Ns(absl::Time t) {
  return absl::ToUnixNanos(t);
}
absl::Time FromNs(std::int64_t ns) {
  return absl::FromUnixNanos(ns);
}

// --- Job / Execution <-> proto ---------------------------------------------

void ToProto(const Job& j, pb::Job* p) {
  p->set_name(j.name);
  p->set_displayname(j.displayname);
  p->set_timezone(j.timezone);
  p->set_schedule(j.schedule);
  p->set_owner(j.owner);
  p->set_owner_email(j.owner_email);
  p->set_success_count(j.success_count);
  p->set_error_count(j.error_count);
  if (j.last_success) p->set_last_success_ns(Ns(*j.last_success));
  if (j.last_error) p->set_last_error_ns(Ns(*j.last_error));
  p->set_disabled(j.disabled);
  p->mutable_tags()->insert(j.tags.begin(), j.tags.end());
  p->mutable_metadata()->insert(j.metadata.begin(), j.metadata.end());
  p->set_retries(j.retries);
  for (const std::string& d : j.dependent_jobs) p->add_dependent_jobs(d);
  p->set_parent_job(j.parent_job);
  for (const auto& [name, config] : j.processors) {
    (*p->mutable_processors())[name].mutable_entries()->insert(config.begin(), config.end());
  }
  p->set_concurrency(j.concurrency);
  p->set_executor(j.executor);
  p->mutable_executor_config()->insert(j.executor_config.begin(), j.executor_config.end());
  p->set_status(j.status);
  p->set_next_ns(Ns(j.next));
  p->set_next_known(j.next_known);
  p->set_ephemeral(j.ephemeral);
  if (j.starts_at) p->set_starts_at_ns(Ns(*j.starts_at));
  if (j.expires_at) p->set_expires_at_ns(Ns(*j.expires_at));
  p->set_schedule_anchor_ns(Ns(j.schedule_anchor));
  if (j.last_fire) p->set_last_fire_ns(Ns(*j.last_fire));
  p->set_status_group(j.status_group);
  p->set_misfire_policy(j.misfire_policy);
  if (j.starting_deadline) {
    p->set_starting_deadline_ns(absl::ToInt64Nanoseconds(*j.starting_deadline));
  }
  if (j.retry_backoff) p->set_retry_backoff_ns(absl::ToInt64Nanoseconds(*j.retry_backoff));
}

Job FromProto(const pb::Job& p) {
  Job j;
  j.name = p.name();
  j.displayname = p.displayname();
  j.timezone = p.timezone();
  j.schedule = p.schedule();
  j.owner = p.owner();
  j.owner_email = p.owner_email();
  j.success_count = p.success_count();
  j.error_count = p.error_count();
  if (p.has_last_success_ns()) j.last_success = FromNs(p.last_success_ns());
  if (p.has_last_error_ns()) j.last_error = FromNs(p.last_error_ns());
  j.disabled = p.disabled();
  j.tags.insert(p.tags().begin(), p.tags().end());
  j.metadata.insert(p.metadata().begin(), p.metadata().end());
  j.retries = p.retries();
  j.dependent_jobs.assign(p.dependent_jobs().begin(), p.dependent_jobs().end());
  j.parent_job = p.parent_job();
  for (const auto& [name, config] : p.processors()) {
    j.processors[name].insert(config.entries().begin(), config.entries().end());
  }
  j.concurrency = p.concurrency();
  j.executor = p.executor();
  j.executor_config.insert(p.executor_config().begin(), p.executor_config().end());
  j.status = p.status();
  j.next = FromNs(p.next_ns());
  j.next_known = p.next_known();
  j.ephemeral = p.ephemeral();
  if (p.has_starts_at_ns()) j.starts_at = FromNs(p.starts_at_ns());
  if (p.has_expires_at_ns()) j.expires_at = FromNs(p.expires_at_ns());
  j.schedule_anchor = FromNs(p.schedule_anchor_ns());
  if (p.has_last_fire_ns()) j.last_fire = FromNs(p.last_fire_ns());
  j.status_group = p.status_group();
  j.misfire_policy = p.misfire_policy();
  if (p.has_starting_deadline_ns())
    j.starting_deadline = absl::Nanoseconds(p.starting_deadline_ns());
  if (p.has_retry_backoff_ns()) j.retry_backoff = absl::Nanoseconds(p.retry_backoff_ns());
  return j;
}

void ToProto(const Execution& e, pb::Execution* p) {
  p->set_id(e.id);
  p->set_job_name(e.job_name);
  p->set_started_at_ns(Ns(e.started_at));
  if (e.finished_at) p->set_finished_at_ns(Ns(*e.finished_at));
  p->set_success(e.success);
  p->set_output(e.output);
  p->set_node_name(e.node_name);
  p->set_group(e.group);
  p->set_attempt(e.attempt);
}

Execution FromProto(const pb::Execution& p) {
  Execution e;
  e.id = p.id();
  e.job_name = p.job_name();
  e.started_at = FromNs(p.started_at_ns());
  if (p.has_finished_at_ns()) e.finished_at = FromNs(p.finished_at_ns());
  e.success = p.success();
  e.output = p.output();
  e.node_name = p.node_name();
  e.group = p.group();
  e.attempt = p.attempt();
  return e;
}

// --- Commands ----------------------------------------------------------------

struct CommandToProto {
  pb::Entry* p;
  void operator()(const PutJob& c) { ToProto(c.job, p->mutable_put_job()->mutable_job()); }
  void operator()(const DeleteJob& c) { p->mutable_delete_job()->set_name(c.name); }
  void operator()(const SetJobDisabled& c) {
    p->mutable_set_job_disabled()->set_name(c.name);
    p->mutable_set_job_disabled()->set_disabled(c.disabled);
  }
  void operator()(const DeleteExecutions& c) {
    p->mutable_delete_executions()->set_job_name(c.job_name);
  }
  void operator()(const RecordFire& c) {
    pb::RecordFire* r = p->mutable_record_fire();
    r->set_job_name(c.job_name);
    r->set_scheduled_ns(Ns(c.scheduled));
    r->set_group(c.group);
    r->set_manual(c.manual);
    for (const std::string& t : c.targets) r->add_targets(t);
    r->set_parent_group(c.parent_group);
  }
  void operator()(const ExecutionStarted& c) {
    ToProto(c.execution, p->mutable_execution_started()->mutable_execution());
    p->mutable_execution_started()->set_lease_until_ns(Ns(c.lease_until));
  }
  void operator()(const ExecutionFinished& c) {
    ToProto(c.execution, p->mutable_execution_finished()->mutable_execution());
  }
  void operator()(const RenewLeases& c) {
    pb::RenewLeases* r = p->mutable_renew_leases();
    r->set_node_name(c.node_name);
    r->set_until_ns(Ns(c.until));
    for (const auto& [job, id] : c.executions) {
      pb::ExecutionRef* ref = r->add_executions();
      ref->set_job_name(job);
      ref->set_id(id);
    }
  }
  void operator()(const SetPaused& c) { p->mutable_set_paused()->set_paused(c.paused); }
  void operator()(const SkipFire& c) {
    pb::SkipFire* s = p->mutable_skip_fire();
    s->set_job_name(c.job_name);
    s->set_parent_group(c.parent_group);
    s->set_reason(c.reason);
  }
};

Result<Command> CommandFromProto(const pb::Entry& p) {
  switch (p.command_case()) {
    case pb::Entry::kPutJob:
      return Command{PutJob{FromProto(p.put_job().job())}};
    case pb::Entry::kDeleteJob:
      return Command{DeleteJob{p.delete_job().name()}};
    case pb::Entry::kSetJobDisabled:
      return Command{SetJobDisabled{p.set_job_disabled().name(), p.set_job_disabled().disabled()}};
    case pb::Entry::kDeleteExecutions:
      return Command{DeleteExecutions{p.delete_executions().job_name()}};
    case pb::Entry::kRecordFire: {
      const pb::RecordFire& r = p.record_fire();
      return Command{RecordFire{r.job_name(),
                                FromNs(r.scheduled_ns()),
                                r.group(),
                                r.manual(),
                                {r.targets().begin(), r.targets().end()},
                                r.parent_group()}};
    }
    case pb::Entry::kExecutionStarted:
      return Command{ExecutionStarted{FromProto(p.execution_started().execution()),
                                      FromNs(p.execution_started().lease_until_ns())}};
    case pb::Entry::kExecutionFinished:
      return Command{ExecutionFinished{FromProto(p.execution_finished().execution())}};
    case pb::Entry::kRenewLeases: {
      RenewLeases r{p.renew_leases().node_name(), {}, FromNs(p.renew_leases().until_ns())};
      for (const pb::ExecutionRef& ref : p.renew_leases().executions()) {
        r.executions.emplace_back(ref.job_name(), ref.id());
      }
      return Command{std::move(r)};
    }
    case pb::Entry::kSetPaused:
      return Command{SetPaused{p.set_paused().paused()}};
    case pb::Entry::kSkipFire:
      return Command{
          SkipFire{p.skip_fire().job_name(), p.skip_fire().parent_group(), p.skip_fire().reason()}};
    case pb::Entry::COMMAND_NOT_SET:
      break;
  }
  return Status::InvalidArgument("log entry carries no command");
}

// --- Snapshot records -----------------------------------------------------------

// Appends varint(size) + bytes of `record` to `out`.
void AppendRecord(const pb::SnapshotRecord& record, std::string& out) {
  const std::size_t size = record.ByteSizeLong();
  std::uint8_t varint[10];
  std::uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(size, varint);
  out.append(reinterpret_cast<const char*>(varint), static_cast<std::size_t>(end - varint));
  record.AppendToString(&out);
}

}  // namespace

std::string EncodeEntry(const Entry& entry) {
  pb::Entry p;
  p.set_min_version(kCommandVersion);
  p.set_now_ns(Ns(entry.now));
  std::visit(CommandToProto{&p}, entry.command);
  return p.SerializeAsString();
}

Result<Entry> DecodeEntry(std::string_view bytes) {
  pb::Entry p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument("log entry is not a state-machine entry");
  }
  if (p.min_version() > kCommandVersion) {
    return Status::FailedPrecondition("log entry needs state-machine version " +
                                      std::to_string(p.min_version()) + "; this server has " +
                                      std::to_string(kCommandVersion) + ": upgrade it");
  }
  CKRON_ASSIGN_OR_RETURN(Command command, CommandFromProto(p));
  return Entry{FromNs(p.now_ns()), std::move(command)};
}

std::string EncodeOutcome(const ApplyResult& result) {
  return EncodeOutcome(Outcome{result.status, result.job});
}

std::string EncodeOutcome(const Outcome& outcome) {
  pb::ApplyOutcome p;
  p.set_code(static_cast<std::uint32_t>(outcome.status.code()));
  p.set_message(outcome.status.message());
  if (outcome.job) ToProto(*outcome.job, p.mutable_job());
  return p.SerializeAsString();
}

Outcome DecodeOutcome(std::string_view bytes) {
  pb::ApplyOutcome p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      p.code() > static_cast<std::uint32_t>(StatusCode::kInternal)) {
    return {Status::Internal("unreadable apply outcome"), nullptr};
  }
  Outcome out;
  if (p.code() != 0) out.status = Status(static_cast<StatusCode>(p.code()), p.message());
  if (p.has_job()) out.job = std::make_shared<const Job>(FromProto(p.job()));
  return out;
}

std::string EncodeExecution(const Execution& execution) {
  pb::Execution p;
  ToProto(execution, &p);
  return p.SerializeAsString();
}

Result<Execution> DecodeExecution(std::string_view bytes) {
  pb::Execution p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument("stored execution is corrupt");
  }
  return FromProto(p);
}

std::string EncodeJob(const Job& job) {
  pb::Job p;
  ToProto(job, &p);
  return p.SerializeAsString();
}

void EncodeJobTo(const Job& job, pb::Job* out) {
  out->Clear();
  ToProto(job, out);
}

Result<Job> DecodeJob(std::string_view bytes) {
  pb::Job p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument("bytes are not a job");
  }
  return FromProto(p);
}

SnapshotView TakeSnapshotView(const State& state) {
  return {state.jobs().Freeze(),        state.running(), state.pending_runs(),
          state.pending_fires(),        state.paused(),  state.daily_stats(),
          state.executions().OpenView()};
}

void WriteSnapshot(const SnapshotView& view, const std::function<void(std::string chunk)>& emit,
                   std::size_t chunk_bytes) {
  std::string chunk;
  pb::SnapshotRecord record;
  const auto add = [&] {
    AppendRecord(record, chunk);
    record.Clear();
    if (chunk.size() >= chunk_bytes) {
      emit(std::move(chunk));
      chunk.clear();
    }
  };
  pb::SnapshotHeader* header = record.mutable_header();
  header->set_version(kCommandVersion);
  header->set_paused(view.paused);
  add();
  view.jobs.ForEach([&](const Job& job) {
    ToProto(job, record.mutable_job());
    add();
  });
  for (const auto& [key, r] : view.running) {
    pb::RunningExecution* p = record.mutable_running();
    p->set_job_name(key.first);
    p->set_id(key.second);
    p->set_node_name(r.node_name);
    p->set_started_at_ns(Ns(r.started_at));
    p->set_group(r.group);
    p->set_attempt(r.attempt);
    p->set_lease_until_ns(Ns(r.lease_until));
    add();
  }
  for (const auto& [key, run] : view.pending_runs) {
    pb::PendingRun* p = record.mutable_pending_run();
    p->set_job_name(key.job_name);
    p->set_group(key.group);
    p->set_node_name(key.node_name);
    p->set_attempt(key.attempt);
    p->set_due_ns(Ns(run.due));
    p->set_created_ns(Ns(run.created));
    add();
  }
  for (const auto& [key, scheduled] : view.pending_fires) {
    pb::PendingFire* p = record.mutable_pending_fire();
    p->set_job_name(key.first);
    p->set_parent_group(key.second);
    p->set_scheduled_ns(Ns(scheduled));
    add();
  }
  for (const auto& [day, stats] : view.daily_stats) {
    pb::DayStats* p = record.mutable_day_stats();
    p->set_year(static_cast<std::int32_t>(day.year()));
    p->set_month(day.month());
    p->set_day(day.day());
    p->set_success(stats.success);
    p->set_failed(stats.failed);
    add();
  }
  std::uint64_t executions = 0;
  view.executions->ForEach([&](const Execution& e) {
    ToProto(e, record.mutable_execution());
    add();
    ++executions;
    return true;
  });
  record.mutable_trailer()->set_jobs(view.jobs.size());
  record.mutable_trailer()->set_executions(executions);
  add();
  if (!chunk.empty()) emit(std::move(chunk));
}

Status CheckSnapshotStart(std::string_view first_chunk) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const std::uint8_t*>(first_chunk.data()),
      static_cast<int>(first_chunk.size()));
  std::uint64_t size = 0;
  pb::SnapshotRecord record;
  if (!in.ReadVarint64(&size) ||
      size > first_chunk.size() - static_cast<std::size_t>(in.CurrentPosition()) ||
      !record.ParseFromArray(first_chunk.data() + in.CurrentPosition(), static_cast<int>(size)) ||
      !record.has_header()) {
    return Status::InvalidArgument("snapshot does not start with a header");
  }
  if (record.header().version() > kCommandVersion) {
    return Status::FailedPrecondition("snapshot needs state-machine version " +
                                      std::to_string(record.header().version()) +
                                      "; this server has " + std::to_string(kCommandVersion));
  }
  return OkStatus();
}

SnapshotReader::SnapshotReader(State* state) : state_(state) {
  state_->jobs_.Clear();
  state_->running_.clear();
  state_->pending_runs_.clear();
  state_->pending_fires_.clear();
  state_->daily_stats_.clear();
  state_->paused_ = false;
  state_->executions_->Clear();
}

Status SnapshotReader::Feed(std::string_view chunk) {
  pending_.append(chunk);
  std::size_t pos = 0;
  while (pos < pending_.size()) {
    google::protobuf::io::CodedInputStream in(
        reinterpret_cast<const std::uint8_t*>(pending_.data() + pos),
        static_cast<int>(pending_.size() - pos));
    std::uint64_t size = 0;
    if (!in.ReadVarint64(&size)) break;  // the length itself is incomplete
    const auto header = static_cast<std::size_t>(in.CurrentPosition());
    if (size > (std::uint64_t{1} << 30))
      return Status::InvalidArgument("snapshot record too large");
    if (pending_.size() - pos - header < size) break;  // wait for more bytes
    CKRON_RETURN_IF_ERROR(Record(std::string_view(pending_).substr(pos + header, size)));
    pos += header + static_cast<std::size_t>(size);
  }
  pending_.erase(0, pos);
  return OkStatus();
}

Status SnapshotReader::Record(std::string_view bytes) {
  pb::SnapshotRecord record;
  if (!record.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::InvalidArgument("snapshot record is corrupt");
  }
  if (!header_seen_ && record.record_case() != pb::SnapshotRecord::kHeader) {
    return Status::InvalidArgument("snapshot does not start with a header");
  }
  if (trailer_seen_) return Status::InvalidArgument("snapshot continues after its trailer");
  switch (record.record_case()) {
    case pb::SnapshotRecord::kTrailer:
      trailer_seen_ = true;
      if (record.trailer().jobs() != jobs_ || record.trailer().executions() != executions_) {
        return Status::InvalidArgument("snapshot is inconsistent: read " + std::to_string(jobs_) +
                                       " jobs and " + std::to_string(executions_) +
                                       " executions, the trailer says " +
                                       std::to_string(record.trailer().jobs()) + " and " +
                                       std::to_string(record.trailer().executions()));
      }
      break;
    case pb::SnapshotRecord::kHeader:
      if (header_seen_) return Status::InvalidArgument("snapshot has two headers");
      if (record.header().version() > kCommandVersion) {
        return Status::FailedPrecondition("snapshot needs state-machine version " +
                                          std::to_string(record.header().version()));
      }
      header_seen_ = true;
      state_->paused_ = record.header().paused();
      break;
    case pb::SnapshotRecord::kJob: {
      state_->jobs_.Put(std::make_shared<const Job>(FromProto(record.job())));
      ++jobs_;
      break;
    }
    case pb::SnapshotRecord::kRunning: {
      const pb::RunningExecution& r = record.running();
      state_->running_[{r.job_name(), r.id()}] =
          RunningExecution{r.node_name(), FromNs(r.started_at_ns()), r.group(), r.attempt(),
                           FromNs(r.lease_until_ns())};
      break;
    }
    case pb::SnapshotRecord::kPendingRun: {
      const pb::PendingRun& r = record.pending_run();
      state_->pending_runs_[RunKey{r.job_name(), r.group(), r.node_name(), r.attempt()}] =
          PendingRun{FromNs(r.due_ns()), FromNs(r.created_ns())};
      break;
    }
    case pb::SnapshotRecord::kPendingFire: {
      const pb::PendingFire& f = record.pending_fire();
      state_->pending_fires_[{f.job_name(), f.parent_group()}] = FromNs(f.scheduled_ns());
      break;
    }
    case pb::SnapshotRecord::kDayStats: {
      const pb::DayStats& d = record.day_stats();
      state_->daily_stats_[absl::CivilDay(d.year(), d.month(), d.day())] =
          DayStats{d.success(), d.failed()};
      break;
    }
    case pb::SnapshotRecord::kExecution:
      state_->executions_->Put(FromProto(record.execution()));
      ++executions_;
      break;
    case pb::SnapshotRecord::RECORD_NOT_SET:
      return Status::InvalidArgument("snapshot record is empty");
  }
  return OkStatus();
}

Status SnapshotReader::Finish() {
  if (!pending_.empty()) return Status::InvalidArgument("snapshot ends inside a record");
  if (!header_seen_) return Status::InvalidArgument("snapshot is empty");
  if (!trailer_seen_) return Status::InvalidArgument("snapshot is truncated (no trailer)");
  return OkStatus();
}

}  // namespace ckron::fsm
