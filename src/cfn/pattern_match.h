// AllowedPattern matching for template parameters (ECMAScript syntax, the
// whole value must match, as CloudFormation does). Thread-safe.
#pragma once

#include <optional>
#include <string>

namespace orgtrail::cfn {

// True/false for a match; nullopt when `pattern` is not a valid regex.
std::optional<bool> FullMatch(const std::string& pattern, const std::string& value);

}  // namespace orgtrail::cfn
