// libFuzzer target for the API's input parsers: the request target (path
// and query), a job body (JSON), and multipart form data. Built by the
// "fuzz" preset; run with tools/fuzz.sh. Input: "<target>\n<body>".
// Invariants: no crash, no hang, and an accepted job survives a round trip
// through its JSON unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/http_types.h"
#include "api/json_codec.h"
#include "api/multipart.h"
#include "common/check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = in.find('\n');
  const std::string_view target = in.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  (void)ckron::api::ParseTarget(target, &path, &query);
  (void)ckron::api::MultipartField("multipart/form-data; boundary=b", body, "file");
  auto job = ckron::api::JobFromJson(body);
  if (job.ok()) {
    auto again = ckron::api::JobFromJson(ckron::api::JobToJson(*job).dump());
    CKRON_CHECK(again.ok());
    // Computed-on-output fields aside, the job is unchanged.
    ckron::fsm::Job a = *job, b = *again;
    a.next = b.next;
    a.next_known = b.next_known;
    CKRON_CHECK(a == b);
  }
  return 0;
}
