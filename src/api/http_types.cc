#include "api/http_types.h"

#include <exception>

namespace ckron::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; '+' means a space only in query components.
bool Decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string Request::Param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::string Request::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

void Response::SetHeader(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

Response TextError(int status, std::string message) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(message);
  return r;
}

bool ParseTarget(std::string_view target, std::string* path,
                 std::vector<std::pair<std::string, std::string>>* query) {
  if (target.empty() || target.front() != '/') return false;
  const std::size_t q = target.find('?');
  if (!Decode(target.substr(0, q), false, path)) return false;
  query->clear();
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  // A fragment is never sent by clients; drop one if present.
  if (const std::size_t h = rest.find('#'); h != std::string_view::npos) rest = rest.substr(0, h);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    std::string k, v;
    if (!Decode(part.substr(0, eq), true, &k)) return false;
    if (eq != std::string_view::npos && !Decode(part.substr(eq + 1), true, &v)) return false;
    query->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

DeferredResponse::~DeferredResponse() {
  std::unique_lock lock(mu_);
  if (!make_) {
    make_ = [] { return TextError(500, "internal error: the response was dropped unanswered"); };
  }
  MaybeDeliver(lock);
}

void DeferredResponse::Complete(Maker make) {
  std::unique_lock lock(mu_);
  if (make_) return;
  make_ = std::move(make);
  MaybeDeliver(lock);
}

void DeferredResponse::Complete(Response response) {
  Complete([r = std::make_shared<Response>(std::move(response))] { return std::move(*r); });
}

void DeferredResponse::Then(std::function<void(Response&)> step) {
  std::lock_guard lock(mu_);
  steps_.push_back(std::move(step));
}

void DeferredResponse::SetSink(Sink sink) {
  std::unique_lock lock(mu_);
  sink_ = std::move(sink);
  MaybeDeliver(lock);
}

void DeferredResponse::MaybeDeliver(std::unique_lock<std::mutex>& lock) {
  if (delivered_ || !make_ || !sink_) return;
  delivered_ = true;
  Sink sink = std::move(sink_);
  Maker build = [make = std::move(make_), steps = std::move(steps_)]() {
    Response r;
    try {
      r = make();
    } catch (const std::exception& e) {
      r = TextError(500, std::string("internal error: ") + e.what());
    }
    for (const auto& step : steps) step(r);
    return r;
  };
  make_ = [] { return Response(); };  // completed: later Completes are ignored
  lock.unlock();
  sink(std::move(build));
}

}  // namespace ckron::api
