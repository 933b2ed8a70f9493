#include "executor/output_ring.h"

#include <algorithm>

#include "common/check.h"

namespace ckron::executor {

OutputRing::OutputRing(std::size_t capacity) : capacity_(capacity) {
  CKRON_CHECK(capacity_ > 0);
}

void OutputRing::Write(std::string_view data) {
  total_ += data.size();
  if (data.size() >= capacity_) {  // only the tail of `data` survives
    buf_.assign(data.substr(data.size() - capacity_));
    full_ = true;
    head_ = 0;
    return;
  }
  if (!full_) {
    const std::size_t room = capacity_ - buf_.size();
    const std::size_t n = std::min(room, data.size());
    buf_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (buf_.size() < capacity_) return;
    full_ = true;
    head_ = 0;
  }
  while (!data.empty()) {  // overwrite the oldest bytes
    const std::size_t n = std::min(capacity_ - head_, data.size());
    buf_.replace(head_, n, data.substr(0, n));
    head_ = (head_ + n) % capacity_;
    data.remove_prefix(n);
  }
  CKRON_CHECK(buf_.size() <= capacity_);
}

std::string OutputRing::Contents() const {
  if (!full_) return buf_;
  std::string out;
  out.reserve(capacity_);
  out.append(buf_, head_, std::string::npos);
  out.append(buf_, 0, head_);
  return out;
}

}  // namespace ckron::executor
