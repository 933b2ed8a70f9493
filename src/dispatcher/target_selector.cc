#include "dispatcher/target_selector.h"

#include <algorithm>
#include <charconv>

namespace ckron::dispatcher {

TagFilter ParseJobTags(const std::map<std::string, std::string>& job_tags) {
  TagFilter f;
  for (const auto& [key, value] : job_tags) {
    const std::size_t colon = value.find(':');
    f.values[key] = value.substr(0, colon);
    // Dkron splits on every ':' and only a value of exactly two parts has a
    // count; "a:b:c" is a plain (never matching) value "a" without count.
    if (colon == std::string::npos || value.find(':', colon + 1) != std::string::npos) continue;
    const std::string_view digits = std::string_view(value).substr(colon + 1);
    long long count = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
    if (ec != std::errc() || end != digits.data() + digits.size() || count < 0) count = 0;
    f.count = std::min(f.count, static_cast<std::size_t>(count));
  }
  return f;
}

std::vector<std::string> SelectTargets(const std::map<std::string, std::string>& job_tags,
                                       const std::string& region,
                                       const std::vector<Candidate>& members,
                                       std::mt19937_64& rng) {
  const TagFilter filter = ParseJobTags(job_tags);
  std::vector<const Candidate*> qualifying;
  for (const Candidate& m : members) {
    auto r = m.tags.find("region");
    if (r == m.tags.end() || r->second != region) continue;
    bool match = true;
    for (const auto& [key, value] : filter.values) {
      auto t = m.tags.find(key);
      if (t == m.tags.end() || t->second != value) {
        match = false;
        break;
      }
    }
    if (match) qualifying.push_back(&m);
  }
  // Partial Fisher-Yates: the first `count` entries become a uniform sample.
  const std::size_t take = std::min(filter.count, qualifying.size());
  for (std::size_t i = 0; i < take && take < qualifying.size(); ++i) {
    std::uniform_int_distribution<std::size_t> pick(i, qualifying.size() - 1);
    std::swap(qualifying[i], qualifying[pick(rng)]);
  }
  std::vector<std::string> out;
  out.reserve(take);
  for (std::size_t i = 0; i < take; ++i) out.push_back(qualifying[i]->name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace ckron::dispatcher
