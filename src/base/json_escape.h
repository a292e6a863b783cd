// Writing JSON text directly (for the hot paths that build records without a
// DOM). Thread-safe (pure functions).
#pragma once

#include <string>
#include <string_view>

namespace orgtrail {

// Appends `s` as a JSON string exactly as nlohmann's dump(-1, ' ', false)
// writes it: quoted, with \" \\ \b \f \n \r \t and \u00xx for the other
// control characters, every other byte as is. `s` must be valid UTF-8
// (callers holding unchecked bytes let nlohmann replace invalid sequences).
void AppendJsonString(std::string_view s, std::string& out);

}  // namespace orgtrail
