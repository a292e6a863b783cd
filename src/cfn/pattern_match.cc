// GCC 12 reports a false -Wmaybe-uninitialized inside <regex> when built
// with the sanitizers (std::function moves in regex_automaton.h); keep
// <regex> in this one translation unit and silence it here only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "cfn/pattern_match.h"

#include <regex>

namespace orgtrail::cfn {

std::optional<bool> FullMatch(const std::string& pattern, const std::string& value) {
  try {
    return std::regex_match(value, std::regex(pattern, std::regex::ECMAScript));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace orgtrail::cfn
