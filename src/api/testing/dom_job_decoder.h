// For tests and fuzzers of JobFromJson: the decoder it replaced, which
// parses the whole body into a JSON document and reads the job from that
// (JobFromJsonValue, which the restore endpoint still uses). JobFromJson
// must give exactly what this gives, error messages included.
//
// Thread safety: a pure function.
#ifndef CKRON_API_TESTING_DOM_JOB_DECODER_H_
#define CKRON_API_TESTING_DOM_JOB_DECODER_H_

#include <string>
#include <string_view>

#include "api/json_codec.h"

namespace ckron::api::testing {

inline Result<fsm::Job> DomJobFromJson(std::string_view body) {
  const nlohmann::json v = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (v.is_discarded()) {
    try {
      const nlohmann::json ignored = nlohmann::json::parse(body.begin(), body.end());
      (void)ignored;
    } catch (const nlohmann::json::exception& e) {
      std::string what = e.what();
      if (const std::size_t p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
      return Status::InvalidArgument("Unable to parse payload: " + what + ".");
    }
    return Status::InvalidArgument("Unable to parse payload: not JSON.");
  }
  return JobFromJsonValue(v);
}

}  // namespace ckron::api::testing

#endif  // CKRON_API_TESTING_DOM_JOB_DECODER_H_
