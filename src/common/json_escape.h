// JSON string escaping shared by the JSON log lines and the API's job
// writer.
//
// Thread safety: a pure function.
#ifndef CKRON_COMMON_JSON_ESCAPE_H_
#define CKRON_COMMON_JSON_ESCAPE_H_

#include <string>
#include <string_view>

namespace ckron {

// Appends `s` as the body of a JSON string (without the quotes): `"` and
// `\` escaped, control characters as \b \f \n \r \t or \u00xx, exactly as
// nlohmann's dump writes them; every other byte as it is (so valid UTF-8
// stays valid).
void AppendJsonEscaped(std::string& out, std::string_view s);

}  // namespace ckron

#endif  // CKRON_COMMON_JSON_ESCAPE_H_
