#include "rpc/live_output_offsets.h"

#include <algorithm>
#include <string_view>

namespace ckron::rpc {
namespace {

// How many leading bytes of `previous` are gone from `now`, both views of
// the same output of which `now` may have dropped the oldest bytes.
std::size_t Dropped(std::string_view previous, std::string_view now) {
  if (now.substr(0, previous.size()) == previous) return 0;
  for (std::size_t k = std::min(previous.size(), now.size()); k > 0; --k) {
    if (previous.substr(previous.size() - k) == now.substr(0, k)) return previous.size() - k;
  }
  return previous.size();
}

}  // namespace

LiveOutputPositions::Answer LiveOutputPositions::Serve(const std::string& job,
                                                       const std::string& id, std::string buffer,
                                                       std::uint64_t offset,
                                                       std::uint64_t generation, absl::Time now) {
  std::lock_guard lock(mu_);
  ForgetIdle(now);
  auto [it, fresh] = tracks_.try_emplace({job, id});
  Track& t = it->second;
  if (fresh) {
    // Seeded from the clock: a restarted leader does not reuse generations.
    if (next_generation_ == 0)
      next_generation_ = static_cast<std::uint64_t>(absl::ToUnixNanos(now));
    t.generation = next_generation_++;
  } else {
    t.base += Dropped(t.last, buffer);
  }
  t.used = now;
  const std::uint64_t end = t.base + buffer.size();
  Answer a{.output = {}, .end = end, .generation = t.generation};
  if (offset > 0 && generation == t.generation && offset >= t.base && offset <= end) {
    a.output = buffer.substr(static_cast<std::size_t>(offset - t.base));
  } else {
    a.output = buffer;
  }
  t.last = std::move(buffer);
  return a;
}

void LiveOutputPositions::Forget(const std::string& job, const std::string& id) {
  std::lock_guard lock(mu_);
  tracks_.erase({job, id});
}

std::size_t LiveOutputPositions::tracked() const {
  std::lock_guard lock(mu_);
  return tracks_.size();
}

void LiveOutputPositions::ForgetIdle(absl::Time now) {
  if (now - last_sweep_ < kLiveOutputForgetAfter) return;
  last_sweep_ = now;
  std::erase_if(tracks_,
                [&](const auto& kv) { return now - kv.second.used > kLiveOutputForgetAfter; });
}

LiveOutputCopy::Ask LiveOutputCopy::Next(const std::string& job, const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = copies_.find({job, id});
  if (it == copies_.end()) return {};
  return {.offset = it->second.end, .generation = it->second.generation};
}

std::string LiveOutputCopy::Update(const std::string& job, const std::string& id,
                                   std::string output, std::uint64_t end, std::uint64_t generation,
                                   absl::Time now, std::size_t max_bytes) {
  std::lock_guard lock(mu_);
  std::erase_if(copies_,
                [&](const auto& kv) { return now - kv.second.used > kLiveOutputForgetAfter; });
  if (generation == 0) {
    // An older leader: always the whole buffer, nothing to keep.
    copies_.erase({job, id});
    return output;
  }
  Copy& c = copies_[{job, id}];
  const std::uint64_t start = end - std::min<std::uint64_t>(end, output.size());
  if (c.generation == generation && start == c.end) {
    c.text += output;  // the bytes after what we held
  } else {
    c.text = std::move(output);  // the whole buffer (or a new numbering)
  }
  if (c.text.size() > max_bytes) c.text.erase(0, c.text.size() - max_bytes);
  c.end = end;
  c.generation = generation;
  c.used = now;
  return c.text;
}

void LiveOutputCopy::Forget(const std::string& job, const std::string& id) {
  std::lock_guard lock(mu_);
  copies_.erase({job, id});
}

}  // namespace ckron::rpc
