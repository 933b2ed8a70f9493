#include "curl_client.h"

#include <curl/curl.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace ckron::testing {
namespace {

void ApplyTls(CURL* c, const CurlTls& tls) {
  if (!tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, tls.key_file.c_str());
}

std::size_t Append(char* p, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

}  // namespace

CurlReply CurlRequest(const std::string& method, const std::string& url, const CurlTls& tls,
                      const std::string& body, const std::vector<std::string>& headers) {
  CurlReply reply;
  CURL* c = curl_easy_init();
  char err[CURL_ERROR_SIZE] = {0};
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (!body.empty() || method == "POST" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  ApplyTls(c, tls);
  reply.curl_code = curl_easy_perform(c);
  reply.error = err;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return reply;
}

SseClient::SseClient(std::string url, CurlTls tls)
    : thread_([this, url = std::move(url), tls = std::move(tls)] { Run(url, tls); }) {}

SseClient::~SseClient() {
  {
    std::lock_guard lock(mu_);
    abort_ = true;
  }
  thread_.join();
}

void SseClient::Run(std::string url, CurlTls tls) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnData);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  ApplyTls(c, tls);
  const CURLcode code = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  std::lock_guard lock(mu_);
  status_ = status;
  code_ = code;
  finished_ = true;
}

std::size_t SseClient::OnHeader(char* p, std::size_t size, std::size_t n, void* self) {
  auto* s = static_cast<SseClient*>(self);
  const std::string line(p, size * n);
  std::lock_guard lock(s->mu_);
  if (absl::StartsWith(line, "HTTP/")) {
    s->status_ = std::stol(line.substr(line.find(' ') + 1, 3));
  } else if (absl::StartsWithIgnoreCase(line, "content-type:")) {
    s->content_type_ = std::string(absl::StripAsciiWhitespace(line.substr(13)));
  }
  return size * n;
}

std::size_t SseClient::OnData(char* p, std::size_t size, std::size_t n, void* self) {
  auto* s = static_cast<SseClient*>(self);
  std::lock_guard lock(s->mu_);
  s->pending_.append(p, size * n);
  s->bytes_ += size * n;
  std::size_t end;
  while ((end = s->pending_.find("\n\n")) != std::string::npos) {
    const std::string block = s->pending_.substr(0, end + 1);
    s->pending_.erase(0, end + 2);
    SseMessage m;
    bool has_data = false;
    std::size_t i = 0;
    while (i < block.size()) {
      const std::size_t eol = block.find('\n', i);
      const std::string line = block.substr(i, eol - i);
      i = eol + 1;
      if (absl::StartsWith(line, ":")) {
        ++s->comments_;
      } else if (absl::StartsWith(line, "event: ")) {
        m.event = line.substr(7);
      } else if (absl::StartsWith(line, "data: ")) {
        if (has_data) m.data += "\n";
        m.data += line.substr(6);
        has_data = true;
      }
    }
    if (has_data || !m.event.empty()) s->events_.push_back(std::move(m));
  }
  return size * n;
}

int SseClient::OnProgress(void* self, long long, long long, long long, long long) {
  auto* s = static_cast<SseClient*>(self);
  std::lock_guard lock(s->mu_);
  return s->abort_ ? 1 : 0;
}

long SseClient::status() const {
  std::lock_guard lock(mu_);
  return status_;
}
std::string SseClient::content_type() const {
  std::lock_guard lock(mu_);
  return content_type_;
}
std::vector<SseMessage> SseClient::events() const {
  std::lock_guard lock(mu_);
  return events_;
}
int SseClient::comments() const {
  std::lock_guard lock(mu_);
  return comments_;
}
std::size_t SseClient::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}
bool SseClient::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}
int SseClient::code() const {
  std::lock_guard lock(mu_);
  return code_;
}

bool SseClient::WaitFor(const std::function<bool(const std::vector<SseMessage>&)>& pred,
                        std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const bool done = finished();
    if (pred(events())) return true;
    if (done || std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int SseClient::WaitForEvent(const std::string& name, std::size_t from,
                            std::chrono::milliseconds timeout) const {
  int found = -1;
  WaitFor(
      [&](const std::vector<SseMessage>& ev) {
        for (std::size_t i = from; i < ev.size(); ++i) {
          if (ev[i].event == name) {
            found = static_cast<int>(i);
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

}  // namespace ckron::testing
