#include "raft/testing/kv_state_machine.h"

#include <vector>

#include "common/check.h"

namespace ckron::raft::testing {
namespace {

// Chunk encoding: repeated { u32 key_len, key, u32 value_len, value }.
void PutU32(std::string* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool GetU32(std::string_view* in, std::uint32_t* v) {
  if (in->size() < 4) return false;
  *v = 0;
  for (int i = 3; i >= 0; --i)
    *v = (*v << 8) | static_cast<std::uint8_t>((*in)[static_cast<std::size_t>(i)]);
  in->remove_prefix(4);
  return true;
}

class KvSource final : public SnapshotSource {
 public:
  KvSource(std::map<std::string, std::string> kv, std::size_t per_chunk)
      : kv_(std::move(kv)), per_chunk_(per_chunk) {}
  Status WriteTo(SnapshotSink& sink) override {
    std::string chunk;
    std::size_t n = 0;
    for (const auto& [k, v] : kv_) {
      PutU32(&chunk, static_cast<std::uint32_t>(k.size()));
      chunk += k;
      PutU32(&chunk, static_cast<std::uint32_t>(v.size()));
      chunk += v;
      if (++n == per_chunk_) {
        CKRON_RETURN_IF_ERROR(sink.Write(chunk));
        chunk.clear();
        n = 0;
      }
    }
    if (!chunk.empty()) CKRON_RETURN_IF_ERROR(sink.Write(chunk));
    return OkStatus();
  }

 private:
  const std::map<std::string, std::string> kv_;
  const std::size_t per_chunk_;
};

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> parts;
  while (!s.empty()) {
    const auto sp = s.find(' ');
    parts.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return parts;
}

}  // namespace

ApplyOutput KvStateMachine::Apply(const ApplyContext& context, std::string_view command) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::pair<std::uint64_t, std::uint32_t> at{context.index.value(), context.position};
  if (any_ && at <= last_) ++violations_;
  last_ = at;
  any_ = true;
  ++applied_;
  const auto parts = Split(command);
  if (parts.size() == 3 && parts[0] == "put") {
    std::string& slot = kv_[std::string(parts[1])];
    std::string prev = std::move(slot);
    slot = std::string(parts[2]);
    return {std::move(prev), {}};
  }
  if (parts.size() == 2 && parts[0] == "del") {
    return {kv_.erase(std::string(parts[1])) > 0 ? "1" : "0", {}};
  }
  return {};
}

Result<std::unique_ptr<SnapshotSource>> KvStateMachine::PrepareSnapshot(LogIndex) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::unique_ptr<SnapshotSource>(new KvSource(kv_, pairs_per_chunk_));
}

Status KvStateMachine::Restore(LogIndex last_included, SnapshotReader& reader) {
  std::map<std::string, std::string> fresh;
  std::string_view chunk;
  while (reader.Next(&chunk)) {
    while (!chunk.empty()) {
      std::uint32_t kl = 0, vl = 0;
      if (!GetU32(&chunk, &kl) || chunk.size() < kl) return Status::Internal("bad kv chunk");
      std::string k(chunk.substr(0, kl));
      chunk.remove_prefix(kl);
      if (!GetU32(&chunk, &vl) || chunk.size() < vl) return Status::Internal("bad kv chunk");
      fresh[std::move(k)] = std::string(chunk.substr(0, vl));
      chunk.remove_prefix(vl);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  kv_ = std::move(fresh);
  // Commands after the snapshot continue from its index.
  last_ = {last_included.value(), ~0U};
  any_ = true;
  ++restores_;
  return OkStatus();
}

std::optional<std::string> KvStateMachine::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = kv_.find(key);
  if (it == kv_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> KvStateMachine::Contents() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kv_;
}

std::size_t KvStateMachine::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kv_.size();
}

std::uint64_t KvStateMachine::applied() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_;
}

std::uint64_t KvStateMachine::order_violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return violations_;
}

LogIndex KvStateMachine::last_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return LogIndex(last_.first);
}

std::uint64_t KvStateMachine::restores() const {
  std::lock_guard<std::mutex> lock(mu_);
  return restores_;
}

}  // namespace ckron::raft::testing
