// Template parsing: turns a CloudFormation template body (YAML with the
// short-form intrinsic tags, or JSON) into one JSON tree in which every
// intrinsic is in its long form ({"Ref": x}, {"Fn::GetAtt": [A, B]},
// {"Fn::Sub": ...}, {"Condition": name} ...), and checks the template's
// top-level shape. Called by the evaluator and CfnService. Errors are
// ValidationError Statuses phrased as AWS phrases them ("Template format
// error: ...", with the line and column of YAML errors). YAML is read with
// libyaml's event parser; hostile bodies are bounded: nesting depth, alias
// expansion (node and byte budgets), one document, string keys only, no
// duplicate keys. Never throws. Thread-safe (pure functions).
#pragma once

#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace orgtrail::cfn {

// AWS's limit for TemplateBody.
inline constexpr size_t kMaxTemplateBodyBytes = 51200;

// The CloudFormation client-fault error (400 ValidationError).
inline Status ValidationError(std::string message) {
  return Status::Error("ValidationError", std::move(message));
}

// Parses `body` as JSON (when it starts with '{') or YAML, converts short
// forms to long forms and checks the top-level sections (known section
// names, a non-empty Resources map, a Type on every resource).
Result<Json> ParseTemplate(std::string_view body);

// Only the syntax step of ParseTemplate (no section checks); for the fuzzer
// and tests.
Result<Json> ParseTemplateSyntax(std::string_view body);

}  // namespace orgtrail::cfn
