#include "storage/rocks_execution_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <optional>
#include <set>

#include "common/check.h"
#include "fsm/codec.h"

namespace ckron::storage {
namespace {

void MustOk(const rocksdb::Status& s, const char* what) {
  CKRON_CHECK_MSG(s.ok(), std::string("rocksdb ") + what + ": " + s.ToString());
}

// Big-endian with the sign bit flipped, so keys sort by value.
std::string OrderedKey(std::int64_t n) {
  auto v = static_cast<std::uint64_t>(n) ^ (std::uint64_t{1} << 63);
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8)
    out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}
std::string TimeKey(absl::Time t) {
  return OrderedKey(absl::ToUnixNanos(t));
}

// An 'i' value: where the record is ('e' by time, 'g' by group).
struct IndexValue {
  std::string time_key;
  std::string group_key;  // OrderedKey(group)
};
IndexValue ParseIndex(const std::string& value) {
  CKRON_CHECK_MSG(value.size() == 16,
                  "execution store: index value of " + std::to_string(value.size()) + " bytes");
  return {value.substr(0, 8), value.substr(8, 8)};
}

std::string JobPrefix(char kind, const std::string& job) {
  std::string k(1, kind);
  k += job;
  k += '\0';
  return k;
}
std::string IndexKey(const std::string& job, const std::string& id) {
  return JobPrefix('i', job) + id;
}
std::string OutputKey(const std::string& job, const std::string& id) {
  return JobPrefix('o', job) + id;
}
std::string RecordKey(const std::string& job, const std::string& time_key, const std::string& id) {
  return JobPrefix('e', job) + time_key + id;
}
std::string GroupPrefix(const std::string& job, std::int64_t group) {
  return JobPrefix('g', job) + OrderedKey(group);
}
std::string GroupKey(const std::string& job, std::int64_t group, const std::string& id) {
  return GroupPrefix(job, group) + id;
}

// The first key past every key that starts with `prefix` ("" if none is).
// A prefix scan stops there: without a bound, an iterator at the end of a
// prefix walks on over every deleted key until the next live one, and a
// bulk delete leaves hundreds of thousands of them.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// An iterator over the keys that start with `prefix`: it stops at the
// prefix's end (PrefixEnd), whose bound lives as long as it does.
class PrefixIterator {
 public:
  PrefixIterator(rocksdb::DB* db, const std::string& prefix)
      : end_(PrefixEnd(prefix)), upper_(end_) {
    rocksdb::ReadOptions read;
    read.iterate_upper_bound = &upper_;
    it_.reset(db->NewIterator(read));
  }
  PrefixIterator(const PrefixIterator&) = delete;
  PrefixIterator& operator=(const PrefixIterator&) = delete;

  rocksdb::Iterator* operator->() const { return it_.get(); }

 private:
  const std::string end_;
  const rocksdb::Slice upper_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

rocksdb::WriteOptions Unlogged() {
  rocksdb::WriteOptions w;
  w.disableWAL = true;  // derived data: Raft's log is the durable copy
  return w;
}

fsm::Execution Decode(const rocksdb::Slice& bytes) {
  auto e = fsm::DecodeExecution(std::string_view(bytes.data(), bytes.size()));
  CKRON_CHECK_MSG(e.ok(), "execution store: " + e.status().message());
  return std::move(e).value();
}

class SnapshotView final : public fsm::ExecutionStore::View {
 public:
  explicit SnapshotView(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~SnapshotView() override { db_->ReleaseSnapshot(snapshot_); }

  void ForEach(const std::function<bool(const fsm::Execution&)>& visit) const override {
    rocksdb::ReadOptions read;
    read.snapshot = snapshot_;
    read.fill_cache = false;  // a full scan must not evict the working set
    const std::string end = "f";
    rocksdb::Slice upper(end);
    read.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read));
    for (it->Seek("e"); it->Valid(); it->Next()) {
      fsm::Execution e = Decode(it->value());
      const rocksdb::Status s = db_->Get(read, OutputKey(e.job_name, e.id), &e.output);
      if (!s.IsNotFound()) MustOk(s, "view output");
      if (!visit(e)) return;
    }
    MustOk(it->status(), "view scan");
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

}  // namespace

Result<std::unique_ptr<RocksExecutionStore>> RocksExecutionStore::Open(
    const RocksStoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_open_files = 256;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.cache_bytes);
  // Bloom filters answer most lookups of a key that is not there without
  // a search: every new execution's index read (PutIfAbsent) is one, in the
  // memtable and in every sorted file. state_bench --fires: +8 % at 150
  // runs per job, +2 % at 3,000.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.05;  // of write_buffer_size
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Compactions are background work: they yield the CPU (nice 19) and the
  // disk to the apply, RPC and executor threads of this host. At 10,000
  // fires/s one compaction on each of three servers sharing two cores
  // (0.6 s of CPU each, at the same moment since they apply the same log)
  // delayed runs by up to 2 s. Flushes keep their priority.
  rocksdb::Env* env = rocksdb::Env::Default();
  (void)env->LowerThreadPoolCPUPriority(rocksdb::Env::LOW, rocksdb::CpuPriority::kLow);
  env->LowerThreadPoolIOPriority(rocksdb::Env::LOW);
  db_options.env = env;
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return Status::Unavailable("execution store " + options.path + ": " + ec.message());
  // What an earlier run left is stale: the state machine rebuilds it.
  rocksdb::Status destroyed = rocksdb::DestroyDB(options.path, db_options);
  if (!destroyed.ok() && !destroyed.IsNotFound()) {
    return Status::Unavailable("execution store " + options.path + ": " + destroyed.ToString());
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, &raw);
  if (!s.ok()) return Status::Unavailable("execution store " + options.path + ": " + s.ToString());
  return std::unique_ptr<RocksExecutionStore>(
      new RocksExecutionStore(std::unique_ptr<rocksdb::DB>(raw)));
}

RocksExecutionStore::RocksExecutionStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

RocksExecutionStore::~RocksExecutionStore() = default;

void RocksExecutionStore::Put(const fsm::Execution& execution) {
  std::string old_value;
  const rocksdb::Status found =
      db_->Get(rocksdb::ReadOptions(), IndexKey(execution.job_name, execution.id), &old_value);
  if (!found.IsNotFound()) MustOk(found, "get index");
  Write(execution, found.ok() ? &old_value : nullptr);
}

void RocksExecutionStore::Write(const fsm::Execution& execution, const std::string* old_index) {
  const std::optional<IndexValue> old =
      old_index != nullptr ? std::optional(ParseIndex(*old_index)) : std::nullopt;
  fsm::Execution meta = execution;
  meta.output.clear();
  const std::string time_key = TimeKey(execution.started_at);
  const std::string group_key = OrderedKey(execution.group);
  rocksdb::WriteBatch batch;
  // A finished execution replaces its running record under the same keys:
  // only its record and output change. Each write skipped is a memtable
  // insert less on the apply thread, per execution, on every server.
  bool index_unchanged = false;
  if (old) {
    if (old->time_key != time_key) {
      batch.Delete(RecordKey(execution.job_name, old->time_key, execution.id));
    }
    if (old->group_key != group_key) {
      batch.Delete(JobPrefix('g', execution.job_name) + old->group_key + execution.id);
    }
    index_unchanged = old->time_key == time_key && old->group_key == group_key;
  }
  batch.Put(RecordKey(execution.job_name, time_key, execution.id), fsm::EncodeExecution(meta));
  if (!index_unchanged) {
    batch.Put(IndexKey(execution.job_name, execution.id), time_key + group_key);
    batch.Put(GroupKey(execution.job_name, execution.group, execution.id), time_key);
  }
  if (execution.output.empty()) {
    // A new execution has no output to remove.
    if (old) batch.Delete(OutputKey(execution.job_name, execution.id));
  } else {
    batch.Put(OutputKey(execution.job_name, execution.id), execution.output);
  }
  MustOk(db_->Write(Unlogged(), &batch), "put");
  LowerFloor(execution.job_name, time_key);
  if (!old) {
    std::lock_guard lock(mu_);
    if (auto it = counts_.find(execution.job_name); it != counts_.end()) ++it->second;
  }
}

std::optional<fsm::Execution> RocksExecutionStore::Get(const std::string& job_name,
                                                       const std::string& id) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), IndexKey(job_name, id), &value);
  if (s.IsNotFound()) return std::nullopt;
  MustOk(s, "get index");
  std::string bytes;
  MustOk(
      db_->Get(rocksdb::ReadOptions(), RecordKey(job_name, ParseIndex(value).time_key, id), &bytes),
      "get");
  fsm::Execution e = Decode(bytes);
  s = db_->Get(rocksdb::ReadOptions(), OutputKey(job_name, id), &e.output);
  if (!s.IsNotFound()) MustOk(s, "get output");
  return e;
}

bool RocksExecutionStore::PutIfAbsent(const fsm::Execution& execution) {
  std::string value;
  const rocksdb::Status found =
      db_->Get(rocksdb::ReadOptions(), IndexKey(execution.job_name, execution.id), &value);
  if (found.ok()) return false;
  if (!found.IsNotFound()) MustOk(found, "get index");
  Write(execution, nullptr);  // new: none of its keys exists, nothing to delete
  return true;
}

void RocksExecutionStore::LowerFloor(const std::string& job_name, const std::string& time_key) {
  if (auto it = floors_.find(job_name); it != floors_.end() && time_key < it->second) {
    it->second = time_key;
  }
}

bool RocksExecutionStore::Contains(const std::string& job_name, const std::string& id) const {
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), IndexKey(job_name, id), &value);
  if (s.IsNotFound()) return false;
  MustOk(s, "get index");
  return true;
}

void RocksExecutionStore::Scan(const std::string& job_name, bool with_output,
                               const std::function<bool(const fsm::Execution&)>& visit) const {
  const std::string prefix = JobPrefix('e', job_name);
  PrefixIterator it(db_.get(), prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    fsm::Execution e = Decode(it->value());
    if (with_output) {
      rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), OutputKey(job_name, e.id), &e.output);
      if (!s.IsNotFound()) MustOk(s, "get output");
    }
    if (!visit(e)) return;
  }
  MustOk(it->status(), "scan");
}

void RocksExecutionStore::ScanOldest(const std::string& job_name,
                                     const std::function<bool(const fsm::Execution&)>& visit) {
  const std::string prefix = JobPrefix('e', job_name);
  PrefixIterator it(db_.get(), prefix);
  auto floor = floors_.find(job_name);
  it->Seek(floor == floors_.end() ? prefix : prefix + floor->second);
  MustOk(it->status(), "scan oldest");
  // Only this thread writes: what lies before the first live record stays
  // deleted until a Put lowers the floor again. None live: past any key.
  std::string first =
      it->Valid() ? it->key().ToString().substr(prefix.size(), 8) : std::string(8, '\xff');
  if (floor == floors_.end()) {
    floors_.emplace(job_name, std::move(first));
  } else {
    floor->second = std::move(first);
  }
  for (; it->Valid(); it->Next()) {
    if (!visit(Decode(it->value()))) return;
  }
  MustOk(it->status(), "scan oldest");
}

void RocksExecutionStore::ScanGroup(const std::string& job_name, std::int64_t group,
                                    const std::function<bool(const fsm::Execution&)>& visit) const {
  const std::string prefix = GroupPrefix(job_name, group);
  PrefixIterator it(db_.get(), prefix);
  std::string bytes;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const std::string id = it->key().ToString().substr(prefix.size());
    MustOk(
        db_->Get(rocksdb::ReadOptions(), RecordKey(job_name, it->value().ToString(), id), &bytes),
        "get by group");
    if (!visit(Decode(bytes))) return;
  }
  MustOk(it->status(), "scan group");
}

std::size_t RocksExecutionStore::Count(const std::string& job_name) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = counts_.find(job_name); it != counts_.end()) return it->second;
  }
  std::size_t n = 0;
  const std::string prefix = JobPrefix('i', job_name);
  PrefixIterator it(db_.get(), prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) ++n;
  MustOk(it->status(), "count");
  std::lock_guard lock(mu_);
  counts_[job_name] = n;
  return n;
}

void RocksExecutionStore::Delete(const std::string& job_name, const std::string& id) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), IndexKey(job_name, id), &value);
  if (s.IsNotFound()) return;
  MustOk(s, "get index");
  const IndexValue where = ParseIndex(value);
  rocksdb::WriteBatch batch;
  batch.Delete(RecordKey(job_name, where.time_key, id));
  batch.Delete(JobPrefix('g', job_name) + where.group_key + id);
  batch.Delete(IndexKey(job_name, id));
  batch.Delete(OutputKey(job_name, id));
  MustOk(db_->Write(Unlogged(), &batch), "delete");
  std::lock_guard lock(mu_);
  if (auto it = counts_.find(job_name); it != counts_.end() && it->second > 0) --it->second;
}

void RocksExecutionStore::DeleteVisited(const fsm::Execution& visited) {
  // Its keys follow from what the scan read (Put derives them the same way).
  rocksdb::WriteBatch batch;
  batch.Delete(RecordKey(visited.job_name, TimeKey(visited.started_at), visited.id));
  batch.Delete(GroupKey(visited.job_name, visited.group, visited.id));
  batch.Delete(IndexKey(visited.job_name, visited.id));
  batch.Delete(OutputKey(visited.job_name, visited.id));
  MustOk(db_->Write(Unlogged(), &batch), "delete");
  std::lock_guard lock(mu_);
  if (auto it = counts_.find(visited.job_name); it != counts_.end() && it->second > 0) {
    --it->second;
  }
}

void RocksExecutionStore::ForgetJob(const std::string& job_name) {
  floors_.erase(job_name);
  std::lock_guard lock(mu_);
  counts_.erase(job_name);
}

std::size_t RocksExecutionStore::TrackedJobs() const {
  std::set<std::string> jobs;
  for (const auto& [job, floor] : floors_) jobs.insert(job);
  std::lock_guard lock(mu_);
  for (const auto& [job, count] : counts_) jobs.insert(job);
  return jobs.size();
}

void RocksExecutionStore::Clear() {
  rocksdb::WriteBatch batch;
  batch.DeleteRange(std::string(1, '\0'), std::string(1, '\xff'));
  MustOk(db_->Write(Unlogged(), &batch), "clear");
  floors_.clear();
  std::lock_guard lock(mu_);
  counts_.clear();
}

std::unique_ptr<const fsm::ExecutionStore::View> RocksExecutionStore::OpenView() const {
  return std::make_unique<SnapshotView>(db_.get());
}

}  // namespace ckron::storage
