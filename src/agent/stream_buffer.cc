#include "agent/stream_buffer.h"

#include <algorithm>
#include <chrono>

namespace ckron::agent {
namespace {

std::string GapLine(std::uint64_t dropped) {
  return "\n[ckron: " + std::to_string(dropped) + " bytes of output dropped from this stream]\n";
}

}  // namespace

StreamBuffer::StreamBuffer(StreamBufferOptions options) : options_(options) {
  CKRON_CHECK(options_.max_message_bytes > 0 && options_.max_bytes > 0);
}

void StreamBuffer::OnOutput(std::string_view chunk) {
  if (chunk.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (closed_ || finished_) {
      dropped_bytes_ += chunk.size();
      return;
    }
    if (queued_bytes_ + chunk.size() > options_.max_bytes) {
      dropped_bytes_ += chunk.size();
      if (pieces_.empty() || pieces_.back().dropped == 0) pieces_.push_back({});
      pieces_.back().dropped += chunk.size();
    } else {
      // Coalesce into the last piece while it stays one message.
      if (pieces_.empty() || pieces_.back().dropped > 0 ||
          pieces_.back().bytes.size() + chunk.size() > options_.max_message_bytes) {
        pieces_.push_back({});
      }
      pieces_.back().bytes.append(chunk);
      queued_bytes_ += chunk.size();
    }
  }
  ready_.notify_one();
  if (on_ready_) on_ready_();
}

void StreamBuffer::OnFinished(const fsm::Execution& execution) {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    finished_ = execution;
  }
  ready_.notify_one();
  if (on_ready_) on_ready_();
}

std::optional<StreamBuffer::Event> StreamBuffer::Next(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  const auto has_event = [this] { return !pieces_.empty() || finished_ || closed_; };
  // A zero timeout (the stream's reactor polling) must not reach the
  // condition variable: a timed wait is a futex call even when already due.
  const bool ready = timeout <= absl::ZeroDuration()
                         ? has_event()
                         : ready_.wait_for(lock, absl::ToChronoNanoseconds(timeout), has_event);
  if (!ready || closed_) return std::nullopt;
  Event event;
  while (!pieces_.empty()) {
    Piece& piece = pieces_.front();
    std::string text = piece.dropped > 0 ? GapLine(piece.dropped) : std::move(piece.bytes);
    if (!event.output.empty() && event.output.size() + text.size() > options_.max_message_bytes) {
      if (piece.dropped == 0) piece.bytes = std::move(text);  // put it back
      break;
    }
    queued_bytes_ -= piece.dropped > 0 ? 0 : text.size();
    event.output += text;
    pieces_.pop_front();
  }
  if (event.output.empty()) {
    event.finished = finished_;  // all output sent: the result may go
    finished_.reset();
  }
  return event;
}

void StreamBuffer::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (const Piece& p : pieces_) dropped_bytes_ += p.bytes.size();
  pieces_.clear();
  queued_bytes_ = 0;
  finished_.reset();
  ready_.notify_all();
}

std::uint64_t StreamBuffer::dropped_bytes() const {
  std::lock_guard lock(mu_);
  return dropped_bytes_;
}

}  // namespace ckron::agent
