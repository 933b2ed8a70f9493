#include "dispatcher/live_output.h"

namespace ckron::dispatcher {

void LiveOutput::Open(const std::string& job, const std::string& id) {
  std::lock_guard lock(mu_);
  buffers_.try_emplace({job, id});
}

void LiveOutput::Append(const std::string& job, const std::string& id, std::string_view chunk) {
  std::lock_guard lock(mu_);
  auto it = buffers_.find({job, id});
  if (it == buffers_.end() || chunk.empty() || max_bytes_ == 0) return;
  Buffer& b = it->second;
  if (chunk.size() > max_bytes_) chunk.remove_prefix(chunk.size() - max_bytes_);
  while (!b.chunks.empty() && b.bytes + chunk.size() > max_bytes_) {
    b.bytes -= b.chunks.front().size();
    b.chunks.pop_front();
  }
  b.chunks.emplace_back(chunk);
  b.bytes += chunk.size();
}

void LiveOutput::Close(const std::string& job, const std::string& id) {
  std::lock_guard lock(mu_);
  buffers_.erase({job, id});
}

void LiveOutput::Clear() {
  std::lock_guard lock(mu_);
  buffers_.clear();
}

std::optional<std::string> LiveOutput::Get(const std::string& job, const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = buffers_.find({job, id});
  if (it == buffers_.end()) return std::nullopt;
  std::string out;
  out.reserve(it->second.bytes);
  for (const std::string& c : it->second.chunks) out += c;
  return out;
}

std::size_t LiveOutput::size() const {
  std::lock_guard lock(mu_);
  return buffers_.size();
}

}  // namespace ckron::dispatcher
