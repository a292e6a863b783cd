// Matching primitives of the IAM policy language: the request context (keys
// looked up case-insensitively), policy variables (${aws:username},
// ${*} ${?} ${$}, ${key, 'default'}) and `*`/`?` globbing where characters
// that came from a variable or an escape are literal.
//
// Used by conditions.cc and evaluator.cc. Pure functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orgtrail::policy {

// Condition/context keys to their values. Keys compare case-insensitively
// when looked up through LookupContext (the map itself is ordinary).
using ContextValues = std::map<std::string, std::vector<std::string>>;

// Returns the values of `key` (case-insensitive), or nullptr when absent.
const std::vector<std::string>* LookupContext(const ContextValues& context, std::string_view key);

// A glob pattern after variable expansion: `literal[i]` is true where text[i]
// must match itself even if it is '*' or '?'.
struct Pattern {
  std::string text;
  std::vector<bool> literal;

  static Pattern Plain(std::string_view s);  // every '*'/'?' is a wildcard
};

// Whole-string glob: '*' matches any run (including empty, across ':' and
// '/'), '?' any one character. ASCII case folding when ignore_case.
bool GlobMatch(const Pattern& pattern, std::string_view text, bool ignore_case);
bool GlobMatch(std::string_view pattern, std::string_view text, bool ignore_case);

// Expands policy variables in `s`. With `enabled` false (pre-2012 policies)
// returns `s` unchanged. ${*}, ${?}, ${$} become a literal '*', '?', '$'.
// ${key} is replaced by the key's single value (literal); ${key, 'dflt'} uses
// dflt when the key is absent. Returns nullopt if a variable is absent (or
// multi-valued) with no default, in which case the element does not match;
// *missing receives the variable name when given.
std::optional<Pattern> ExpandVariables(std::string_view s, const ContextValues& context,
                                       bool enabled, std::string* missing = nullptr);

// True if `s` contains "${" (a policy variable or escape).
bool HasVariables(std::string_view s);

}  // namespace orgtrail::policy
