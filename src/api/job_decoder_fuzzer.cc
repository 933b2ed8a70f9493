// libFuzzer target for JobFromJson, the job body decoder that works from
// the parser's events (job_decoder.cc). Built by the "fuzz" preset; run
// with tools/fuzz.sh. Input: a request body.
// Invariants: no crash, no hang, and the same answer as the document
// decoder it replaced (testing/dom_job_decoder.h): the same job, or the
// same error message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/json_codec.h"
#include "api/testing/dom_job_decoder.h"
#include "common/check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto sax = ckron::api::JobFromJson(body);
  const auto dom = ckron::api::testing::DomJobFromJson(body);
  CKRON_CHECK(sax.ok() == dom.ok());
  if (sax.ok()) {
    CKRON_CHECK(*sax == *dom);
  } else {
    CKRON_CHECK(sax.status().code() == dom.status().code());
    CKRON_CHECK_MSG(sax.status().message() == dom.status().message(),
                    sax.status().message() + " != " + dom.status().message());
  }
  return 0;
}
