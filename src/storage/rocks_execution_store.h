// The on-disk ExecutionStore (fsm/execution_store.h) on RocksDB: execution
// records and outputs are replicated state, yet are not held in RAM.
//
// The store holds derived data: it is rebuilt on every start from the Raft
// snapshot and the log after it, so Open() discards what an earlier run left
// and writes skip RocksDB's own write-ahead log (Raft's log is the durable
// one). Why RocksDB rather than LMDB or SQLite: docs/architecture.md.
//
// Keys (job names cannot contain NUL):
//   'e' job \0 be64(started_at) id  -> execution without output
//   'i' job \0 id                   -> be64(started_at) be64(group), to find
//                                      'e' and 'g' by id
//   'g' job \0 be64(group) id       -> be64(started_at): a trigger's
//                                      executions (ScanGroup)
//   'o' job \0 id                   -> output bytes
//
// Thread safety: one writer (the state machine's apply thread) and any
// number of concurrent readers, as the interface requires. I/O errors stop
// the process (fail-stop), as the interface requires.
#ifndef CKRON_STORAGE_ROCKS_EXECUTION_STORE_H_
#define CKRON_STORAGE_ROCKS_EXECUTION_STORE_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "fsm/execution_store.h"

namespace rocksdb {
class DB;
class Cache;
}  // namespace rocksdb

namespace ckron::storage {

struct RocksStoreOptions {
  std::string path;  // a directory of its own, e.g. <data-dir>/executions
  // RocksDB block cache: recently read executions; bounds read memory.
  std::size_t cache_bytes = 64u << 20;
  // Memtable size before a flush to disk; bounds write memory.
  std::size_t write_buffer_bytes = 32u << 20;
};

class RocksExecutionStore final : public fsm::ExecutionStore {
 public:
  // Creates the store, discarding anything an earlier process left at
  // `options.path`. kUnavailable if the directory cannot be used.
  static Result<std::unique_ptr<RocksExecutionStore>> Open(const RocksStoreOptions& options);
  ~RocksExecutionStore() override;

  void Put(const fsm::Execution& execution) override;
  bool PutIfAbsent(const fsm::Execution& execution) override;
  std::optional<fsm::Execution> Get(const std::string& job_name,
                                    const std::string& id) const override;
  bool Contains(const std::string& job_name, const std::string& id) const override;
  void Scan(const std::string& job_name, bool with_output,
            const std::function<bool(const fsm::Execution&)>& visit) const override;
  void ScanOldest(const std::string& job_name,
                  const std::function<bool(const fsm::Execution&)>& visit) override;
  void ScanGroup(const std::string& job_name, std::int64_t group,
                 const std::function<bool(const fsm::Execution&)>& visit) const override;
  std::size_t Count(const std::string& job_name) const override;
  void Delete(const std::string& job_name, const std::string& id) override;
  void DeleteVisited(const fsm::Execution& visited) override;
  void ForgetJob(const std::string& job_name) override;
  void Clear() override;
  std::unique_ptr<const View> OpenView() const override;

  // The jobs the store keeps something about in memory (a count or a
  // prune floor); for tests.
  std::size_t TrackedJobs() const;

 private:
  explicit RocksExecutionStore(std::unique_ptr<rocksdb::DB> db);
  // Writes `execution` over what its index value said (`old_index`, or null
  // when it is new: then nothing is deleted and the job's count grows).
  void Write(const fsm::Execution& execution, const std::string* old_index);
  // A record of the job was written under `time_key`: keep the floor at or
  // before it.
  void LowerFloor(const std::string& job_name, const std::string& time_key);

  std::unique_ptr<rocksdb::DB> db_;
  // Per-job execution counts, filled on first use of a job and kept in step
  // by Put/Delete, so the state machine's prune check costs no disk scan.
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::size_t> counts_;  // guarded by mu_
  // Per job, once ScanOldest has run: a time key at or before every live
  // record of the job (what lies before it is deleted), where the next
  // ScanOldest starts. A deleted key stays in RocksDB until compaction, and
  // a job pruned on every result would otherwise walk all it ever deleted.
  // Writer-only (ScanOldest, Put, PutIfAbsent, Clear): not guarded.
  std::unordered_map<std::string, std::string> floors_;
};

}  // namespace ckron::storage

#endif  // CKRON_STORAGE_ROCKS_EXECUTION_STORE_H_
