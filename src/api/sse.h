// Server-Sent Events framing (WHATWG HTML "Server-sent events", the
// text/event-stream format): what the streaming endpoints write.
//
// Thread safety: pure functions.
#ifndef CKRON_API_SSE_H_
#define CKRON_API_SSE_H_

#include <string>
#include <string_view>

namespace ckron::api {

// The content type of an event stream.
inline constexpr char kSseContentType[] = "text/event-stream; charset=utf-8";
// A comment line, sent when a stream is otherwise silent so that proxies
// and browsers keep it open.
inline constexpr char kSseHeartbeat[] = ": ping\n\n";

// One event: "event: <name>\n", one "data: " line per line of `data` (split
// at "\r\n", "\n" or "\r", as a client joins them back with "\n"), then an
// empty line. An empty `name` leaves the event line out (the client's
// default type, "message"). Line breaks in `name` become spaces.
std::string SseEvent(std::string_view name, std::string_view data);

}  // namespace ckron::api

#endif  // CKRON_API_SSE_H_
