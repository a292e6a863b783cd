// Policy-document validation for IAM: the structural checks AWS performs
// before it stores a policy (CreateRole / UpdateAssumeRolePolicy trust
// policies, PutRolePolicy identity policies), answering
// MalformedPolicyDocument (400) as IAM does. Full policy evaluation lives in
// policy/ later; this only decides whether a document is well-formed.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace orgtrail::iam {

enum class PolicyKind {
  kTrust,     // a role's assume-role policy: every statement needs Principal
  kIdentity,  // an inline/managed policy: Resource required, no Principal
};

// Parses and validates `text`. On success returns the parsed document.
// Errors: MalformedPolicyDocument (400) with a message saying what is wrong.
Result<Json> ValidatePolicyDocument(std::string_view text, PolicyKind kind);

}  // namespace orgtrail::iam
