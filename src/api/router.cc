#include "api/router.h"

#include "common/check.h"

namespace ckron::api {

std::vector<std::string> Router::Split(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    const std::size_t j = path.find('/', i);
    out.push_back(path.substr(i, j == std::string::npos ? std::string::npos : j - i));
    i = j == std::string::npos ? path.size() : j;
  }
  return out;
}

void Router::Add(std::string method, std::string pattern, Handler handler, InlineIf runs_inline) {
  CKRON_CHECK(!pattern.empty() && pattern.front() == '/');
  Route r{std::move(method),     pattern, Split(pattern), 0, std::move(handler),
          std::move(runs_inline)};
  for (const std::string& s : r.segments) r.literals += s.front() != '{';
  routes_.push_back(std::move(r));
}

bool Router::Matches(const Route& r, const std::vector<std::string>& segs,
                     std::map<std::string, std::string>* params) {
  if (r.segments.size() != segs.size()) return false;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const std::string& p = r.segments[i];
    if (p.front() == '{') {
      if (params != nullptr) (*params)[p.substr(1, p.size() - 2)] = segs[i];
    } else if (p != segs[i]) {
      return false;
    }
  }
  return true;
}

const Handler* Router::Match(Request* request) const {
  const Route* r = Find(request);
  return r == nullptr ? nullptr : &r->handler;
}

bool Router::RunsInline(Request* request) const {
  const Route* r = Find(request);
  return r != nullptr && r->runs_inline && r->runs_inline(*request);
}

const Router::Route* Router::Find(Request* request) const {
  const std::vector<std::string> segs = Split(request->path);
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (r.method != request->method || !Matches(r, segs, nullptr)) continue;
    if (best == nullptr || r.literals > best->literals) best = &r;
  }
  request->params.clear();
  if (best == nullptr) {
    request->route.clear();
    return nullptr;
  }
  Matches(*best, segs, &request->params);
  request->route = best->pattern;
  return best;
}

bool Router::PathExists(const std::string& path) const {
  const std::vector<std::string> segs = Split(path);
  for (const Route& r : routes_) {
    if (Matches(r, segs, nullptr)) return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : routes_) out.emplace_back(r.method, r.pattern);
  return out;
}

}  // namespace ckron::api
