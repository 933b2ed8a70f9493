// The live view of running executions' output on the leader: the last
// chunks each agent streamed (AgentRunner.Run `output` events), bounded per
// execution, for the API's live view. Not replicated and not durable: the
// stored result (Executions.Report) is the record; this only shows progress.
//
// Thread safety: safe for concurrent use.
#ifndef CKRON_DISPATCHER_LIVE_OUTPUT_H_
#define CKRON_DISPATCHER_LIVE_OUTPUT_H_

#include <cstddef>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ckron::dispatcher {

class LiveOutput {
 public:
  // `max_bytes` per execution: older chunks are dropped whole, and a single
  // chunk larger than this keeps its last max_bytes.
  explicit LiveOutput(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Starts (or keeps) a buffer for the execution.
  void Open(const std::string& job, const std::string& id);
  // Appends a chunk; ignored when the execution has no open buffer.
  void Append(const std::string& job, const std::string& id, std::string_view chunk);
  void Close(const std::string& job, const std::string& id);
  void Clear();

  // The buffered output, oldest first; nullopt when the execution is not
  // streaming to this server.
  std::optional<std::string> Get(const std::string& job, const std::string& id) const;
  std::size_t size() const;

 private:
  struct Buffer {
    // A list, not a deque: a buffer is opened for every run and most never
    // get a chunk, and libstdc++'s deque allocates when constructed.
    std::list<std::string> chunks;
    std::size_t bytes = 0;  // Invariant: sum of chunks' sizes <= max_bytes_
  };
  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Buffer> buffers_;  // guarded by mu_
};

}  // namespace ckron::dispatcher

#endif  // CKRON_DISPATCHER_LIVE_OUTPUT_H_
